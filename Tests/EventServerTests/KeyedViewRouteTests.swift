import EventServer
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Testing

@Suite("Keyed views over HTTP: a row by key, by prefix or range, in pages, by pointer, and a view's own read")
struct KeyedViewRouteTests {
    private static let stock = "/v1/objects/inventory/sku-1/views/stock"

    private func keys(_ response: TestResponse) -> [String] {
        (response.json["rows"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
    }

    @Test("rows by key, prefix and range, paged with limit and after, as of the past, and one row's member by pointer")
    func rows() async throws {
        try await withServer { client, _, _ in
            #expect(try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 100}"#).status == .ok)
            for index in 1...25 {
                let order = String(format: "o-%02d", index)
                let reserved = try await client.post("/v1/objects/inventory/sku-1/commands/reserve", #"{"orderId": "\#(order)", "qty": \#(index % 3 + 1)}"#)
                #expect(reserved.status == .ok)
            }
            #expect(try await client.post("/v1/objects/inventory/sku-1/commands/reserve", #"{"orderId": "p-1", "qty": 1}"#).status == .ok)

            let one = try await client.get("\(Self.stock)?key=o-03")
            #expect(one.status == .ok && one.json["key"] as? String == "o-03" && one.json["version"] as? Int == 53)
            #expect((one.json["row"] as? [String: Any])?["qty"] as? Int == 1 && (one.json["row"] as? [String: Any])?["status"] as? String == "pending")
            let missing = try await client.get("\(Self.stock)?key=o-99")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/row-not-found")
            #expect(missing.json["field"] as? String == "key" && missing.json["key"] as? String == "o-99")

            var pages: [[String]] = []
            var after: String?
            repeat {
                let page = try await client.get("\(Self.stock)?prefix=o-&limit=10" + (after.map { "&after=\($0)" } ?? ""))
                #expect(page.status == .ok && page.json["version"] as? Int == 53)
                pages.append(keys(page))
                after = page.json["next"] as? String
            } while after != nil && pages.count < 5
            #expect(pages.map(\.count) == [10, 10, 5])
            #expect(pages.flatMap { $0 } == (1...25).map { String(format: "o-%02d", $0) })

            let range = try await client.get("\(Self.stock)?from=o-05&to=o-08")
            #expect(keys(range) == ["o-05", "o-06", "o-07"] && range.json["next"] is NSNull)
            let everything = try await client.get("\(Self.stock)?limit=1000")
            #expect(keys(everything).count == 26 && keys(everything).last == "p-1")
            let firstTwo = try await client.get("\(Self.stock)?limit=2")
            #expect(keys(firstTwo) == ["o-01", "o-02"] && firstTwo.json["next"] as? String == "o-02")

            // The past: before o-25 was reserved it has no row; its prefix holds fewer.
            let before = try await client.get("\(Self.stock)?key=o-25&at=49")
            #expect(before.status == .notFound && before.json["type"] as? String == "/problems/row-not-found")
            let then = try await client.get("\(Self.stock)?prefix=o-2&at=49&limit=100")
            #expect(keys(then) == ["o-20", "o-21", "o-22", "o-23", "o-24"] && then.json["version"] as? Int == 49)

            let part = try await client.get("\(Self.stock)?pointer=/rows/o-02/qty")
            #expect(part.status == .ok && part.json["value"] as? Int == 3)
            let summaryPart = try await client.get("\(Self.stock)?pointer=/pendingOrders")
            #expect(summaryPart.json["value"] as? Int == 26)
        }
    }

    @Test("bad row queries are refused with the field to fix")
    func refusals() async throws {
        try await withServer { client, _, _ in
            #expect(try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 1}"#).status == .ok)
            for (query, field) in [
                ("limit=0", "limit"), ("prefix=o-&limit=1001", "limit"), ("prefix=o&limit=ten", "limit"), ("key=o-1&prefix=o-", "prefix"),
                ("key=o-1&limit=5", "limit"),
            ] {
                let refused = try await client.get("\(Self.stock)?\(query)")
                #expect(refused.status == .badRequest && refused.json["field"] as? String == field, "\(query): \(refused.text)")
            }
            #expect(try await client.post("/v1/objects/building/b-1/commands/addRule", #"{"sensorType": "co2", "condition": "gt", "threshold": 1000, "severity": "warning", "cooldownSeconds": 60}"#).status == .ok)
            let unkeyed = try await client.get("/v1/objects/building/b-1/views/alerts?key=x")
            #expect(unkeyed.status == .badRequest && unkeyed.json["field"] as? String == "key", "\(unkeyed.text)")
            let unknownObject = try await client.get("/v1/objects/inventory/nobody/views/stock?key=o-1")
            #expect(unknownObject.status == .notFound)
        }
    }

    @Test("a building's sensor read pages its minute buckets between from and to; its groups are rows under the sensor's key")
    func sensorRead() async throws {
        try await withServer { client, _, _ in
            let start = 1_767_225_600_000
            let readings = (0..<30).map { minute in
                #"{"sensorId": "t-1", "sensorType": "temperature", "value": \#(20 + minute), "unit": "C", "timestamp": \#(start + minute * 60_000 + 5_000)}"#
            }
            let recorded = try await client.post("/v1/objects/building/b-1/commands/record", #"{"readings": [\#(readings.joined(separator: ","))]}"#)
            #expect(recorded.status == .ok, "\(recorded.text)")

            let view = "/v1/objects/building/b-1/views/aggregates"
            let all = try await client.get("\(view)?sensor=t-1")
            let buckets = try #require(all.json["buckets"] as? [[String: Any]])
            #expect(all.status == .ok && buckets.count == 30 && all.json["unit"] as? String == "C" && all.json["next"] is NSNull)
            #expect(buckets.first?["start"] as? Int == start && buckets.first?["avg"] as? Int == 20)

            let window = try await client.get("\(view)?sensor=t-1&from=\(start + 10 * 60_000)&to=\(start + 20 * 60_000)&limit=4")
            let first = try #require(window.json["buckets"] as? [[String: Any]])
            #expect(first.compactMap { $0["start"] as? Int } == (10..<14).map { start + $0 * 60_000 })
            let next = try #require(window.json["next"] as? Int)
            let rest = try await client.get("\(view)?sensor=t-1&from=\(start + 10 * 60_000)&to=\(start + 20 * 60_000)&limit=100&after=\(next)")
            #expect((rest.json["buckets"] as? [[String: Any]])?.compactMap { $0["start"] as? Int } == (14..<20).map { start + $0 * 60_000 })

            let hours = try await client.get("\(view)?sensor=t-1&resolution=hour")
            #expect((hours.json["buckets"] as? [[String: Any]])?.first?["count"] as? Int == 30)

            // The rows themselves: the sensor, then its 10-minute groups of minute buckets.
            let groups = try await client.get("\(view)?prefix=t-1/m/")
            #expect(keys(groups).count == 3)
            let sensorRow = try await client.get("\(view)?key=t-1")
            #expect((sensorRow.json["row"] as? [String: Any])?["sensorType"] as? String == "temperature")

            let unknown = try await client.get("\(view)?sensor=t-9")
            #expect(unknown.status == .notFound && unknown.json["field"] as? String == "sensor", "\(unknown.text)")
            let resolution = try await client.get("\(view)?sensor=t-1&resolution=day")
            #expect(resolution.status == .badRequest && resolution.json["field"] as? String == "resolution", "\(resolution.text)")
            let from = try await client.get("\(view)?sensor=t-1&from=yesterday")
            #expect(from.status == .badRequest && from.json["field"] as? String == "from", "\(from.text)")
        }
    }
}
