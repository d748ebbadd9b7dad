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

    @Test("a payment that races the deadline is a refused step on record, and the failed order shows it was paid")
    func latePayment() async throws {
        let test = try Self.open()
        defer { Task { await test.destroy() } }
        try await Self.restock(test.store, ["a": 5])
        try await Self.place(test.store, "o-1", [("a", 1)], paymentSeconds: 1)
        try await Self.settle(test.store)
        test.clock.advance(byMilliseconds: 1_000)
        #expect(try await test.store.fireDueTimers() == 1)
        // Paid before the saga's failure reached the order.
        try await Self.command(test.store, "order/o-1", "pay")
        try await Self.settle(test.store)
        let order = try Self.state(test.store, "order/o-1")
        #expect(order["status"] == "failed" && order["paid"] == true)
        let refusal = try #require(try test.store.allEvents(of: "reaction/checkout").last)
        #expect(refusal.data.contains("PAYMENT_NOT_EXPECTED"), "\(refusal.data)")
        #expect(try Self.state(test.store, "inventory/a")["available"] == 5)
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
