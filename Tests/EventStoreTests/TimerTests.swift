import EventModel
import EventStore
import EventStoreTesting
import Projections
import Testing

@Suite("Timers: reservations expire by themselves")
struct TimerTests {
    private func command(_ store: EventStore, _ object: String, _ name: String, _ body: JSONValue) async throws -> CommandOutcome {
        try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object)), command: name, body: body))
    }

    private func stock(_ store: EventStore, _ object: String) throws -> JSONValue {
        let read = try #require(try store.readView(BundledTypes.inventory.views[0], of: StreamName(object: try ObjectKey(parsing: object))))
        return try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }
    }

    @Test("a reservation's timer fires when due, not before, and returns its units; the firing is in the history")
    func expiry() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        _ = try await command(test.store, "inventory/sku-1", "restock", ["qty": 5])
        _ = try await command(test.store, "inventory/sku-1", "reserve", ["orderId": "o-1", "qty": 3, "ttlSeconds": 60])
        test.clock.advance(byMilliseconds: 59_000)
        #expect(try await test.store.fireDueTimers() == 0)
        #expect(try stock(test.store, "inventory/sku-1")["available"] == 2)
        test.clock.advance(byMilliseconds: 2_000)
        #expect(try await test.store.fireDueTimers() == 1)
        let state = try stock(test.store, "inventory/sku-1")
        #expect(state["available"] == 5 && state["reserved"] == 0 && state["pendingOrders"] == 0)
        let order = try #require(try test.store.readRows(BundledTypes.inventory.views[0], of: StreamName(object: try ObjectKey(parsing: "inventory/sku-1")), RowQuery(.key("o-1")))?.rows.first)
        #expect(try order.json.withUnsafeBytes { try JSONValue(parsing: $0) }["status"] == "expired")
        #expect(try test.store.allEvents(of: "inventory/sku-1").map(\.type) == ["Restocked", "Reserved", "TimerSet", "TimerFired", "Expired"])
        #expect(try await test.store.fireDueTimers() == 0, "a timer fires once")
    }

    @Test("confirming a reservation cancels its timer")
    func cancelled() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        _ = try await command(test.store, "inventory/sku-1", "restock", ["qty": 5])
        _ = try await command(test.store, "inventory/sku-1", "reserve", ["orderId": "o-1", "qty": 3, "ttlSeconds": 60])
        _ = try await command(test.store, "inventory/sku-1", "confirm", ["orderId": "o-1"])
        test.clock.advance(byMilliseconds: 3_600_000)
        #expect(try test.store.dueTimers(now: test.clock.nowMilliseconds()).isEmpty)
        #expect(try await test.store.fireDueTimers() == 0)
        #expect(try stock(test.store, "inventory/sku-1")["sold"] == 3)
    }

    @Test("timers missed while the store was closed fire, in due order, when it opens again")
    func missedWhileDown() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { test.directory.remove() }
        _ = try await command(test.store, "inventory/a", "restock", ["qty": 5])
        _ = try await command(test.store, "inventory/b", "restock", ["qty": 5])
        _ = try await command(test.store, "inventory/a", "reserve", ["orderId": "late", "qty": 1, "ttlSeconds": 60])
        _ = try await command(test.store, "inventory/b", "reserve", ["orderId": "early", "qty": 2, "ttlSeconds": 30])
        await test.close()
        test.clock.advance(byMilliseconds: 120_000)
        let again = try test.reopened()
        let due = try again.store.dueTimers(now: again.clock.nowMilliseconds())
        #expect(due.map(\.timerId) == ["reservation:early", "reservation:late"])
        #expect(try await again.store.fireDueTimers() == 2)
        #expect(try stock(again.store, "inventory/a")["available"] == 5 && stock(again.store, "inventory/b")["available"] == 5)
        let firings = try again.store.wholeLog().filter { $0.type == "Expired" }.map(\.object)
        #expect(firings == ["inventory/b", "inventory/a"])
        await again.close()
    }
}
