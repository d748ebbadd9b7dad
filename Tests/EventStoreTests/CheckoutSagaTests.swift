import EventModel
import EventStore
import EventStoreTesting
import Projections
import Testing

/// The bundled checkout saga in the engine: `order`, `checkout` and `inventory` objects driven
/// by the `checkout` reaction, through every way an order ends.
@Suite("Checkout saga: orders reserve, wait for payment, confirm or give back")
struct CheckoutSagaTests {
    private static func open() throws -> TestStore {
        try TestStore.open(objectTypes: BundledTypes.all, reactions: BundledTypes.reactions)
    }

    @discardableResult
    private static func command(
        _ store: EventStore, _ object: String, _ name: String, _ body: JSONValue = [:], branch: String = "main"
    ) async throws -> CommandOutcome {
        try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object), branch: try BranchName(branch)), command: name, body: body))
    }

    /// Runs the reactions until they have nothing left to do.
    private static func settle(_ store: EventStore) async throws {
        while try await store.runReactions() > 0 {}
    }

    private static func state(_ store: EventStore, _ object: String, branch: String = "main") throws -> JSONValue {
        let key = try ObjectKey(parsing: object)
        let definition = try #require(store.objectTypes[key.type.name])
        let read = try #require(try store.readView(definition.views[0], of: StreamName(object: key, branch: try BranchName(branch))))
        return try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }
    }

    private static func place(_ store: EventStore, _ order: String, _ lines: [(String, Int)], paymentSeconds: Int = 60) async throws {
        let body: JSONValue = [
            "customerId": "c-1", "paymentSeconds": .number(Double(paymentSeconds)),
            "lines": .array(lines.map { ["sku": .string($0.0), "qty": .number(Double($0.1))] }),
        ]
        try await command(store, "order/\(order)", "place", body)
    }

    private static func restock(_ store: EventStore, _ stock: [String: Int]) async throws {
        for (sku, qty) in stock { try await command(store, "inventory/\(sku)", "restock", ["qty": .number(Double(qty))]) }
    }

    @Test("placed, every line reserved, paid: the order is confirmed and its units sold")
    func confirmed() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 5, "c": 5])
        try await Self.place(test.store, "o-1", [("a", 1), ("b", 2), ("c", 3)])
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-1")["status"] == "awaiting-payment")
        #expect(try Self.state(test.store, "inventory/b")["reserved"] == 2)
        try await Self.command(test.store, "order/o-1", "pay")
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "confirmed" && order["paid"] == true)
        for (sku, qty) in [("a", 1), ("b", 2), ("c", 3)] {
            let stock = try Self.state(test.store, "inventory/\(sku)")
            #expect(stock["sold"]?.integerValue == qty && stock["reserved"] == 0 && stock["available"]?.integerValue == 5 - qty, "\(sku)")
        }
        let saga = try Self.state(test.store, "checkout/o-1")
        #expect(saga["status"] == "confirmed")
        #expect(saga["lines"]?.arrayValue?.allSatisfy { $0["status"] == "confirmed" } == true)
        #expect(try test.store.allEvents(of: "reaction/checkout").isEmpty, "nothing was refused")
        // The reservations carry the customer: the orders-by-customer view can list them.
        let reserved = try #require(try test.store.allEvents(of: "inventory/a").first { $0.type == "Reserved" })
        #expect(reserved.metadata.contains("\"customer\":\"c-1\"") && reserved.metadata.contains("\"reaction\":\"checkout\""), "\(reserved.metadata)")
        #expect(try test.store.verify().findings.isEmpty)
    }

    @Test("a line short of stock: what was reserved is released and the order fails naming the SKU")
    func lineRefused() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 1])
        try await Self.place(test.store, "o-1", [("a", 2), ("b", 3)])
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "failed")
        #expect(order["reason"]?.stringValue?.hasPrefix("b: 3 requested, 1 available") == true, "\(order)")
        for sku in ["a", "b"] {
            let stock = try Self.state(test.store, "inventory/\(sku)")
            #expect(stock["reserved"] == 0 && stock["sold"] == 0, "\(sku): \(stock)")
        }
        #expect(try Self.state(test.store, "inventory/a")["available"] == 5)
        let refusal = try #require(try test.store.allEvents(of: "reaction/checkout").first)
        #expect(refusal.type == "CommandRefused" && refusal.data.contains("INSUFFICIENT_STOCK") && refusal.data.contains("\"orderId\":\"o-1\""))
        let saga = try Self.state(test.store, "checkout/o-1")
        #expect(saga["lines"]?.arrayValue?.map { $0["status"] } == ["released", "refused"])
    }

    @Test("no payment by the deadline: the timer gives the stock back and the order fails")
    func deadline() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5])
        try await Self.place(test.store, "o-1", [("a", 4)], paymentSeconds: 30)
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-1")["paymentDeadline"]?.integerValue == Int(test.clock.nowMilliseconds()) + 30_000)
        test.clock.advance(byMilliseconds: 29_000)
        #expect(try await test.store.fireDueTimers() == 0)
        test.clock.advance(byMilliseconds: 2_000)
        #expect(try await test.store.fireDueTimers() == 1)
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "failed" && order["reason"] == "no payment within 30 s")
        #expect(try Self.state(test.store, "inventory/a")["available"] == 5)
        // A payment now is refused by the order itself.
        await #expect(throws: EventStoreError.self) { try await Self.command(test.store, "order/o-1", "pay") }
    }

    @Test("cancelled while awaiting payment: released, failed with the reason; a paid order cannot be cancelled")
    func cancelled() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 5])
        try await Self.place(test.store, "o-1", [("a", 1), ("b", 1)])
        try await Self.place(test.store, "o-2", [("a", 1)])
        try await Self.settle(test.store)
        try await Self.command(test.store, "order/o-1", "cancel", ["reason": "changed my mind"])
        try await Self.command(test.store, "order/o-2", "pay")
        await #expect(throws: EventStoreError.self) { try await Self.command(test.store, "order/o-2", "cancel") }
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-1")["reason"] == "cancelled: changed my mind")
        #expect(try Self.state(test.store, "order/o-2")["status"] == "confirmed")
        #expect(try Self.state(test.store, "inventory/a")["available"] == 4)
        #expect(try Self.state(test.store, "inventory/b")["available"] == 5)
    }

    @Test("the order decides the deadline: a payment it took before the saga's expiry reached it wins")
    func paymentRacesTheDeadline() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5])
        try await Self.place(test.store, "o-1", [("a", 1)], paymentSeconds: 1)
        try await Self.settle(test.store)
        test.clock.advance(byMilliseconds: 1_000)
        #expect(try await test.store.fireDueTimers() == 1)
        #expect(try Self.state(test.store, "checkout/o-1")["deadlinePassed"] == true)
        // Paid before the saga's expiry reached the order: the order took it, so it stands.
        try await Self.command(test.store, "order/o-1", "pay")
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-1")["status"] == "confirmed")
        let refusal = try #require(try test.store.allEvents(of: "reaction/checkout").last)
        #expect(refusal.data.contains("ALREADY_PAID") && refusal.data.contains("expirePayment"), "\(refusal.data)")
        #expect(try Self.state(test.store, "inventory/a")["sold"] == 1)
        // Unpaid when the expiry reaches it, an order takes no payment any more.
        try await Self.place(test.store, "o-2", [("a", 1)], paymentSeconds: 1)
        try await Self.settle(test.store)
        test.clock.advance(byMilliseconds: 1_000)
        #expect(try await test.store.fireDueTimers() == 1)
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-2")["paymentExpired"] == true)
        await #expect(throws: EventStoreError.self) { try await Self.command(test.store, "order/o-2", "pay") }
        #expect(try Self.state(test.store, "order/o-2")["reason"] == "no payment within 1 s")
    }

    @Test("cancelled while its lines are still being reserved: each reservation that comes after is given back")
    func cancelledWhileReserving() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 5])
        try await Self.place(test.store, "o-1", [("a", 2), ("b", 2)])
        try await Self.command(test.store, "order/o-1", "cancel", ["reason": "too slow"])
        try await Self.settle(test.store)
        let saga = try test.store.allEvents(of: "checkout/o-1").map(\.type)
        #expect(saga.firstIndex(of: "CheckoutFailing")! < saga.firstIndex(of: "LineReserved")!, "\(saga)")
        #expect(try Self.state(test.store, "order/o-1")["reason"] == "cancelled: too slow")
        for sku in ["a", "b"] { #expect(try Self.state(test.store, "inventory/\(sku)")["available"] == 5, "\(sku)") }
    }

    @Test("a release refused because someone confirmed the reservation by hand: the line is lost and the failure says so")
    func releaseRefused() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 5])
        try await Self.place(test.store, "o-1", [("a", 1), ("b", 1)])
        try await Self.settle(test.store)
        try await Self.command(test.store, "inventory/a", "confirm", ["orderId": "o-1"])
        try await Self.command(test.store, "order/o-1", "cancel")
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "failed")
        #expect(order["reason"]?.stringValue?.contains("not given back: a (INVALID_STATUS") == true, "\(order)")
        #expect(try Self.state(test.store, "checkout/o-1")["lines"]?.arrayValue?.map { $0["status"] } == ["lost", "released"])
        #expect(try Self.state(test.store, "inventory/b")["available"] == 5)
    }

    @Test("a reservation that expired before its confirmation (the reaction stopped for two days): the line is lost, the paid order fails owing a refund")
    func confirmationTooLate() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5, "b": 5])
        try await Self.place(test.store, "o-1", [("a", 1), ("b", 1)], paymentSeconds: 60)
        try await Self.settle(test.store)
        try await Self.command(test.store, "order/o-1", "pay")
        // The reaction does not run for two days: the reservations' timers fire meanwhile.
        test.clock.advance(byMilliseconds: 2 * 86_400_000)
        while try await test.store.fireDueTimers() > 0 {}
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "failed" && order["paid"] == true)
        #expect(order["reason"]?.stringValue?.contains("expired before it was confirmed: a refund is due") == true, "\(order)")
        #expect(try Self.state(test.store, "checkout/o-1")["lines"]?.arrayValue?.map { $0["status"] } == ["lost", "lost"])
        for sku in ["a", "b"] { #expect(try Self.state(test.store, "inventory/\(sku)")["available"] == 5, "\(sku): the units came back by expiry") }
    }

    @Test("order and checkout change on main by their commands only: appends and merges into main are refused, a branch takes them")
    func commandsOnly() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5])
        try await Self.place(test.store, "o-1", [("a", 1)])
        try await Self.settle(test.store)
        await #expect(throws: EventStoreError.self) {
            try await test.store.append(try TestEvents.request("checkout/o-1", [("CheckoutCompleted", "{}")]))
        }
        await #expect(throws: EventStoreError.self) { try await test.store.append(try TestEvents.request("order/o-9", [("OrderConfirmed", "{}")])) }
        let key = try ObjectKey(parsing: "checkout/o-1")
        _ = try await test.store.createBranch(try BranchName("try"), of: key)
        _ = try await test.store.append(try TestEvents.request("checkout/o-1", [("CheckoutCompleted", "{}")], branch: try BranchName("try")))
        await #expect(throws: EventStoreError.self) { try await test.store.merge(try BranchName("try"), into: StreamName(object: key)) }
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "order/o-1")["status"] == "awaiting-payment", "nothing of the branch reached the order")
        // A restore puts back what the commands wrote: an archive imports, replacing.
        var lines: [[UInt8]] = []
        _ = try await test.store.export(key) { lines.append($0) }
        var cursor = lines.makeIterator()
        let (_, count) = try await test.store.importObject(replacing: true) { cursor.next() }
        #expect(count == lines.count - 1)
        #expect(try Self.state(test.store, "checkout/o-1")["status"] == "awaiting-payment")
    }

    @Test("the saga's steps are the reaction's alone on main; a what-if branch takes them and sends nothing out")
    func whatIf() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5])
        try await Self.place(test.store, "o-1", [("a", 2)], paymentSeconds: 1)
        try await Self.settle(test.store)
        do {
            try await Self.command(test.store, "checkout/o-1", "paid")
            Issue.record("a client sent a saga step on main")
        } catch EventStoreError.rejected(let rejection) {
            #expect(rejection.code == "SAGA_STEP" && rejection.status == 403)
        }
        await #expect(throws: EventStoreError.self) { try await Self.command(test.store, "order/o-1", "settle", ["outcome": "confirmed"]) }
        // The deadline passes; what if the payment had come?
        test.clock.advance(byMilliseconds: 1_000)
        _ = try await test.store.fireDueTimers()
        try await Self.settle(test.store)
        let awaited = try #require(try test.store.allEvents(of: "checkout/o-1").first { $0.type == "PaymentAwaited" })
        _ = try await test.store.createBranch(try BranchName("paid"), of: try ObjectKey(parsing: "checkout/o-1"), at: awaited.seq + 1)
        try await Self.command(test.store, "checkout/o-1", "paid", branch: "paid")
        try await Self.settle(test.store)
        #expect(try Self.state(test.store, "checkout/o-1", branch: "paid")["status"] == "confirming")
        #expect(try Self.state(test.store, "checkout/o-1")["status"] == "failed")
        let stock = try Self.state(test.store, "inventory/a")
        #expect(stock["sold"] == 0 && stock["available"] == 5, "the branch confirmed nothing for real")
    }

    @Test("no client may write the reaction's facts")
    func factsAreTheEngines() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        let request = try TestEvents.request("reaction/checkout", [("CommandRefused", #"{"reaction":"checkout"}"#)])
        await #expect(throws: EventStoreError.self) { try await test.store.append(request) }
    }
}
