import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

@Suite("Cross-object views")
struct LogViewTests {
    /// Runs seeded random inventory commands over `skus` SKUs, and some building readings.
    func drive(_ store: EventStore, seed: UInt64, steps: Int, skus: Int) async throws {
        var generator = SplitMix64(seed: seed)
        for step in 0..<steps {
            let sku = StreamName(object: try ObjectKey(parsing: "inventory/sku-\(Int.random(in: 0..<skus, using: &generator))"))
            let order = "o-\(Int.random(in: 0..<8, using: &generator))"
            let body: (String, JSONValue) =
                switch Int.random(in: 0..<5, using: &generator) {
                case 0, 1: ("restock", ["qty": .number(Double(Int.random(in: 1...9, using: &generator)))])
                case 2: ("reserve", ["orderId": .string(order), "qty": .number(Double(Int.random(in: 1...3, using: &generator)))])
                case 3: (Bool.random(using: &generator) ? "confirm" : "release", ["orderId": .string(order)])
                default: ("adjust", ["delta": -1, "reason": "count"])
                }
            _ = try? await store.run(CommandRequest(stream: sku, command: body.0, body: body.1))
            if step % 10 == 0 {
                let building = StreamName(object: try ObjectKey(parsing: "building/b\(step % 3)"))
                _ = try await store.run(
                    CommandRequest(
                        stream: building, command: "record",
                        body: ["readings": [["sensorId": "t1", "sensorType": "temperature", "unit": "C", "value": 20, "timestamp": .number(Double(1_767_225_600_000 + step))]]]))
            }
        }
    }

    /// The totals of every SKU's stock view, as the fleet view should hold them.
    func expectedTotals(_ store: EventStore, skus: Int) throws -> (skus: Int, available: Int, reserved: Int, sold: Int) {
        var totals = (skus: 0, available: 0, reserved: 0, sold: 0)
        for index in 0..<skus {
            guard let read = try store.readView(BundledTypes.inventory.views[0], of: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(index)")))
            else { continue }
            let state = try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }
            totals.skus += 1
            totals.available += state["available"]?.integerValue ?? 0
            totals.reserved += state["reserved"]?.integerValue ?? 0
            totals.sold += state["sold"]?.integerValue ?? 0
        }
        return totals
    }

    @Test("fleet equals the sum of every SKU's stock view, folded in pieces across a restart, each event once", arguments: [1, 2] as [UInt64])
    func fleetTotals(seed: UInt64) async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: BundledTypes.logViews)
        try await drive(test.store, seed: seed, steps: 200, skus: 12)
        // Part of the log, then a restart, then the rest: nothing folded twice or skipped.
        #expect(try await test.store.catchUpLogViews(limit: 37) == 37)
        await test.close()
        let reopened = try test.reopened()
        while try await reopened.store.catchUpLogViews(limit: 50) > 0 {}
        let fleet = try #require(try reopened.store.readLogView("fleet"))
        #expect(fleet.position == reopened.store.commits.committedPosition)
        #expect(try reopened.store.logViewLag() == ["fleet": 0])
        let state = try fleet.state.withUnsafeBytes { try JSONValue(parsing: $0) }
        let expected = try expectedTotals(reopened.store, skus: 12)
        #expect(state["skus"]?.integerValue == expected.skus && state["available"]?.integerValue == expected.available)
        #expect(state["reserved"]?.integerValue == expected.reserved && state["sold"]?.integerValue == expected.sold)
        #expect(state["buildings"] == 3 && state["readings"] == 20)
        await reopened.destroy()
    }

    @Test("folded in memory between writes: reads see the fold at once, storage catches up when due, a restart folds the rest once")
    func deferredWrites() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: BundledTypes.logViews)
        try await drive(test.store, seed: 3, steps: 120, skus: 5)
        let head = test.store.commits.committedPosition
        // The first call reads storage and writes once it is due: a minute from now.
        #expect(try await test.store.catchUpLogViews(limit: 40, writeIntervalMilliseconds: 60_000) == 40)
        while try await test.store.catchUpLogViews(limit: 40, writeIntervalMilliseconds: 60_000) > 0 {}
        #expect(try test.store.readLogView("fleet")?.position == head, "reads see what was folded")
        #expect(try test.store.logViewLag() == ["fleet": 0])
        let stored = try test.store.read { transaction in
            try StoredView.header(stream: EventStore.logViewStream, name: "fleet", layout: test.store.layout, transaction: transaction)?.seq
        }
        #expect(stored == nil, "nothing was due to be written")
        // Written when due (now, with no interval), even with nothing new to fold.
        #expect(try await test.store.catchUpLogViews(limit: 0) == 0)
        let written = try test.store.read { transaction in
            try StoredView.header(stream: EventStore.logViewStream, name: "fleet", layout: test.store.layout, transaction: transaction)?.seq
        }
        #expect(written == head)

        // More events folded in memory only, then a restart: they are folded again from storage, once.
        try await drive(test.store, seed: 4, steps: 60, skus: 5)
        while try await test.store.catchUpLogViews(writeIntervalMilliseconds: 60_000) > 0 {}
        let inMemory = try #require(try test.store.readLogView("fleet"))
        await test.close()
        let reopened = try test.reopened()
        #expect(try reopened.store.readLogView("fleet")?.position == head, "storage holds the last write")
        while try await reopened.store.catchUpLogViews() > 0 {}
        #expect(try reopened.store.readLogView("fleet") == inMemory)
        let state = try inMemory.state.withUnsafeBytes { try JSONValue(parsing: $0) }
        let expected = try expectedTotals(reopened.store, skus: 5)
        #expect(state["available"]?.integerValue == expected.available && state["reserved"]?.integerValue == expected.reserved)
        #expect(state["sold"]?.integerValue == expected.sold)
        await reopened.destroy()
    }

    @Test("GET /v1/views lists the cross-object views with position and lag; GET /v1/views/fleet answers the view; an unknown view is 404")
    func http() async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 5}"#)
            _ = try await client.post("/v1/objects/inventory/b/commands/restock", #"{"qty": 7}"#)
            let behind = try await client.get("/v1/views/fleet")
            #expect(behind.json["position"] as? Int == 0 && behind.json["lag"] as? Int == 2)
            let listedBehind = (try await client.get("/v1/views")).json["views"] as? [[String: Any]]
            #expect(listedBehind?.map { "\($0["view"] ?? "") \($0["position"] ?? "") \($0["lag"] ?? "")" } == ["fleet 0 2"])
            while try await test.store.catchUpLogViews() > 0 {}
            let listed = (try await client.get("/v1/views")).json["views"] as? [[String: Any]]
            #expect(listed?.map { "\($0["view"] ?? "") \($0["position"] ?? "") \($0["lag"] ?? "")" } == ["fleet 2 0"])
            let fleet = try await client.get("/v1/views/fleet")
            #expect(fleet.json["position"] as? Int == 2 && fleet.json["lag"] as? Int == 0)
            #expect((fleet.json["state"] as? [String: Any])?["available"] as? Int == 12)
            let missing = try await client.get("/v1/views/nope")
            #expect(missing.status == .notFound && missing.json["field"] as? String == "view")
        }
    }
}
