import EventModel
import Projections
import Testing

/// Runs commands against the inventory type the way the writer does: decide on the current
/// state, then fold the decided events.
struct InventoryHarness {
    var object = ObjectTypeHarness(BundledTypes.inventory, now: 1_000_000)
    var events: [RecordedEvent] { object.events }
    var now: Int64 { object.now }

    /// The stock view as one value: its summary, and its order rows split into the pending
    /// ones and how the others ended.
    struct Stock {
        var available: Int
        var reserved: Int
        var sold: Int
        var pendingUnits: Int
        var pending: [String: StockView.Order]
        var closed: [String: String]
    }

    var state: Stock {
        let summary = object.summary("stock", as: StockView.Summary.self)
        let orders = object.rows("stock", as: StockView.Order.self)
        return Stock(
            available: summary.available, reserved: summary.reserved, sold: summary.sold, pendingUnits: summary.pendingUnits,
            pending: Dictionary(uniqueKeysWithValues: orders.filter { $0.row.status == .pending }.map { ($0.key, $0.row) }),
            closed: Dictionary(uniqueKeysWithValues: orders.filter { $0.row.status != .pending }.map { ($0.key, $0.row.status.rawValue) }))
    }

    mutating func run(_ command: String, _ body: JSONValue) -> Result<[NewEvent], Rejection> { object.run(command, body) }

    func rejectionCode(_ result: Result<[NewEvent], Rejection>) -> String? {
        if case .failure(let rejection) = result { return rejection.code }
        return nil
    }
}

@Suite("inventory: stock view and commands")
struct InventoryTests {
    @Test("restock, reserve, confirm, release and adjust move units between available, reserved and sold")
    func lifecycle() throws {
        var harness = InventoryHarness()
        _ = harness.run("restock", ["qty": 10])
        _ = harness.run("reserve", ["orderId": "o-1", "qty": 3])
        _ = harness.run("reserve", ["orderId": "o-2", "qty": 2, "ttlSeconds": 60])
        #expect(harness.state.available == 5 && harness.state.reserved == 5)
        #expect(harness.state.pending["o-2"]?.expiresAt == harness.now + 60_000)
        #expect(harness.state.pending["o-1"]?.expiresAt == harness.now + 900_000, "ttlSeconds defaults to 900")
        _ = harness.run("confirm", ["orderId": "o-1"])
        _ = harness.run("release", ["orderId": "o-2"])
        _ = harness.run("adjust", ["delta": -2, "reason": "broken"])
        #expect(harness.state.available == 5 && harness.state.reserved == 0 && harness.state.sold == 3)
        #expect(harness.state.closed == ["o-1": "confirmed", "o-2": "released"])
        #expect(
            harness.events.map(\.type) == [
                "Restocked", "Reserved", "TimerSet", "Reserved", "TimerSet", "Confirmed", "TimerCancelled", "Released", "TimerCancelled",
                "Adjusted",
            ])
        #expect(harness.events[2].data["timerId"] == "reservation:o-1" && harness.events[2].data["dueAt"] == .number(Double(harness.now + 900_000)))
    }

    @Test("every refusal has its code and the facts that explain it")
    func rejections() {
        var harness = InventoryHarness()
        _ = harness.run("restock", ["qty": 2])
        let short = harness.run("reserve", ["orderId": "o-1", "qty": 3])
        guard case .failure(let rejection) = short else { Issue.record("oversold"); return }
        #expect(rejection.code == "INSUFFICIENT_STOCK" && rejection.status == 409)
        #expect(rejection.facts["available"] == .number(2) && rejection.facts["requested"] == .number(3))
        _ = harness.run("reserve", ["orderId": "o-1", "qty": 1])
        #expect(harness.rejectionCode(harness.run("reserve", ["orderId": "o-1", "qty": 1])) == "RESERVATION_EXISTS")
        #expect(harness.rejectionCode(harness.run("confirm", ["orderId": "nope"])) == "RESERVATION_NOT_FOUND")
        _ = harness.run("confirm", ["orderId": "o-1"])
        #expect(harness.rejectionCode(harness.run("release", ["orderId": "o-1"])) == "INVALID_STATUS")
        #expect(harness.rejectionCode(harness.run("adjust", ["delta": -5, "reason": "count"])) == "INSUFFICIENT_STOCK")
        #expect(harness.rejectionCode(harness.run("restock", ["qty": 0])) == "INVALID_QUANTITY")
        let invalid = harness.run("reserve", ["orderId": "o-9", "qty": "two"])
        guard case .failure(let decode) = invalid else { Issue.record("accepted a string quantity"); return }
        #expect(decode.code == "INVALID_COMMAND" && decode.status == 422 && decode.message.contains("/qty"))
    }

    @Test("folding any event sequence at once equals folding it in pieces", arguments: 0..<20)
    func foldInPieces(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        var harness = InventoryHarness()
        for step in 0..<200 {
            let order = "o-\(Int.random(in: 0..<15, using: &generator))"
            switch Int.random(in: 0..<5, using: &generator) {
            case 0: _ = harness.run("restock", ["qty": .number(Double(Int.random(in: 1...5, using: &generator)))])
            case 1: _ = harness.run("reserve", ["orderId": .string(order), "qty": .number(Double(Int.random(in: 1...4, using: &generator)))])
            case 2: _ = harness.run("confirm", ["orderId": .string(order)])
            case 3: _ = harness.run("release", ["orderId": .string(order)])
            default: _ = harness.run("adjust", ["delta": .number(Double(Int.random(in: -3...3, using: &generator) | 1)), "reason": .string("step \(step)")])
            }
            // The invariants hold after every command, whatever the interleaving.
            #expect(harness.state.available >= 0 && harness.state.reserved >= 0)
            #expect(harness.state.reserved == harness.state.pending.values.reduce(0) { $0 + $1.qty })
            #expect(harness.state.pendingUnits == harness.state.reserved && harness.object.object.brokenInvariant == nil)
        }
        let view = AnyProjection(StockView())
        let whole = try view.materialize(harness.events)
        let cuts = (0..<3).map { _ in Int.random(in: 0...harness.events.count, using: &generator) }.sorted()
        #expect(whole == (try view.materialize(harness.events, cutAt: cuts)))
        #expect(whole == harness.object.view("stock"))
    }
}

