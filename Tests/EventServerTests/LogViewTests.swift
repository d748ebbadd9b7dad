import Foundation
import HTTPTypes
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
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: [AnyLogProjection(FleetView())])
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
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: [AnyLogProjection(FleetView())])
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
            #expect(listedBehind?.map { "\($0["view"] ?? "") \($0["position"] ?? "") \($0["lag"] ?? "")" } == ["fleet 0 2", "low-stock 0 2", "orders-by-customer 0 2", "sensor-leaderboard 0 2"])
            while try await test.store.catchUpLogViews() > 0 {}
            let listed = (try await client.get("/v1/views")).json["views"] as? [[String: Any]]
            #expect(listed?.map { "\($0["view"] ?? "") \($0["position"] ?? "") \($0["lag"] ?? "")" } == ["fleet 2 0", "low-stock 2 0", "orders-by-customer 2 0", "sensor-leaderboard 2 0"])
            let fleet = try await client.get("/v1/views/fleet")
            #expect(fleet.json["position"] as? Int == 2 && fleet.json["lag"] as? Int == 0)
            #expect((fleet.json["state"] as? [String: Any])?["available"] as? Int == 12)
            let missing = try await client.get("/v1/views/nope")
            #expect(missing.status == .notFound && missing.json["field"] as? String == "view")
        }
    }

    @Test("the bundled keyed views over HTTP: low-stock by shortfall, a customer's orders by prefix, the alert leaderboard top-N, as of a position")
    func keyedViews() async throws {
        try await withServer { client, test, _ in
            // Stock: a has 5 (point 10: short 5), b has 7 (point 8: short 1), c has 20 (point 3).
            for (sku, qty, point) in [("a", 5, 10), ("b", 7, 8), ("c", 20, 3)] {
                _ = try await client.post("/v1/objects/inventory/\(sku)/commands/restock", #"{"qty": \#(qty)}"#)
                let set = try await client.post("/v1/objects/inventory/\(sku)/commands/setReorderPoint", #"{"point": \#(point)}"#)
                #expect(set.status == .ok, "\(set.json)")
            }
            var metadata: HTTPFields = [.contentType: "application/json"]
            metadata[HTTPField.Name("Event-Metadata")!] = #"{"customer": "c-1"}"#
            #expect(try await client.post("/v1/objects/inventory/c/commands/reserve", #"{"orderId": "o1", "qty": 18}"#, headers: metadata).status == .ok)
            #expect(try await client.post("/v1/objects/inventory/a/commands/reserve", #"{"orderId": "o2", "qty": 1}"#, headers: metadata).status == .ok)
            _ = try await client.post("/v1/objects/inventory/a/commands/release", #"{"orderId": "o2"}"#)
            var bad: HTTPFields = [.contentType: "application/json"]
            bad[HTTPField.Name("Event-Metadata")!] = "[1]"
            let refused = try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: bad)
            #expect(refused.status == .badRequest && refused.json["field"] as? String == "Event-Metadata")
            let afterStock = test.store.commits.committedPosition
            // Alerts: building x raises two, y one.
            for building in ["x", "y"] {
                let rule = #"{"ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "warning", "cooldownSeconds": 0}"#
                #expect(try await client.post("/v1/objects/building/\(building)/commands/addRule", rule).status == .ok)
            }
            for (building, sensors) in [("x", ["t1", "t2"]), ("y", ["t1"])] {
                let readings = sensors.map { #"{"sensorId": "\#($0)", "sensorType": "temperature", "unit": "C", "value": 40, "timestamp": 1767225600000}"# }
                let recorded = try await client.post("/v1/objects/building/\(building)/commands/record", #"{"readings": [\#(readings.joined(separator: ","))]}"#)
                #expect(recorded.status == .ok, "\(recorded.json)")
            }
            while try await test.store.catchUpLogViews() > 0 {}

            let low = try await client.get("/v1/views/low-stock?order=desc&limit=10")
            #expect(low.json["orderedBy"] as? String == "shortfall")
            let lowRows = low.json["rows"] as? [[String: Any]] ?? []
            #expect(lowRows.map { "\($0["key"] ?? "") \($0["sortKey"] ?? "")" } == ["a 5", "c 1", "b 1"], "most short first, ties by key, descending")
            let one = try await client.get("/v1/views/low-stock?key=c")
            #expect(((one.json["rows"] as? [[String: Any]])?.first?["row"] as? [String: Any])?["available"] as? Int == 2)
            #expect((try await client.get("/v1/views/low-stock")).json["state"] as? [String: Int] == ["lowSkus": 3])

            let orders = try await client.get("/v1/views/orders-by-customer?prefix=c-1/")
            let orderRows = (orders.json["rows"] as? [[String: Any]] ?? []).map { "\($0["key"] ?? "") \(($0["row"] as? [String: Any])?["status"] ?? "")" }
            #expect(orderRows == ["c-1/a/o2 released", "c-1/c/o1 pending"])

            let leaders = try await client.get("/v1/views/sensor-leaderboard?order=desc&limit=1")
            let leaderRows = leaders.json["rows"] as? [[String: Any]] ?? []
            #expect(leaderRows.map { "\($0["key"] ?? "") \($0["sortKey"] ?? "")" } == ["x 2"])
            let next = try #require(leaders.json["next"] as? String)
            let rest = try await client.get("/v1/views/sensor-leaderboard?order=desc&limit=5&after=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect((rest.json["rows"] as? [[String: Any]])?.map { $0["key"] as? String } == ["y"] && rest.json["next"] is NSNull)

            // As of the position before the alerts: no building listed yet, stock as it was.
            let before = try await client.get("/v1/views/sensor-leaderboard?prefix=&at=\(afterStock)")
            #expect(before.json["position"] as? Int == Int(afterStock) && (before.json["rows"] as? [Any])?.isEmpty == true)
            let stockThen = try await client.get("/v1/views/low-stock?key=a&at=\(afterStock)")
            #expect(((stockThen.json["rows"] as? [[String: Any]])?.first?["row"] as? [String: Any])?["available"] as? Int == 5)

            // A rebuild forgets the view; the fold starts again from the log's start.
            let rebuilt = try await client.post("/v1/projections/low-stock/rebuild", "{}")
            #expect(rebuilt.status == .accepted && rebuilt.json["position"] as? Int == 0 && rebuilt.headers[.location] == "/v1/views/low-stock")
            while try await test.store.catchUpLogViews() > 0 {}
            let again = (try await client.get("/v1/views/low-stock?order=desc&limit=10")).json["rows"] as? [[String: Any]] ?? []
            let describe = { (rows: [[String: Any]]) in rows.map { "\($0["key"] ?? "") \($0["sortKey"] ?? "") \(($0["row"] as? [String: Any])?["available"] ?? "")" } }
            #expect(describe(again) == ["a 5 5", "c 1 2", "b 1 7"] && describe(again) == describe(lowRows), "folded again from the start, the same")
            #expect(try test.store.verifyLogViews().findings == [])

            for (uri, field) in [
                ("/v1/views/fleet?order=desc", "order"), ("/v1/views/low-stock?order=sideways", "order"), ("/v1/views/low-stock?limit=0", "limit"),
                ("/v1/views/low-stock?colour=red", "colour"), ("/v1/views/low-stock?order=asc&at=2", "at"),
            ] {
                let refused = try await client.get(uri)
                #expect(refused.status == .badRequest && refused.json["field"] as? String == field, "\(uri): \(refused.json)")
            }
            let ahead = try await client.get("/v1/views/low-stock?at=999999")
            #expect(ahead.status == .conflict && ahead.json["field"] as? String == "at" && ahead.json["type"] as? String == "/problems/position-past-head")
        }
    }
}
