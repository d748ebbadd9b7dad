import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Views and commands over HTTP")
struct CommandRouteTests {
    @Test("commands decide events, views reflect every acknowledged append")
    func commandsAndViews() async throws {
        try await withServer { client, test, _ in
            let restocked = try await client.post("/v1/objects/inventory/sku-1/commands/restock?include=state", #"{"qty": 10}"#)
            #expect(restocked.status == .ok)
            #expect(restocked.json["version"] as? Int == 1)
            #expect(((restocked.json["events"] as? [[String: Any]])?.first?["type"] as? String) == "Restocked")
            #expect((restocked.json["state"] as? [String: Any])?["available"] as? Int == 10)

            let reserved = try await client.post(
                "/v1/objects/inventory/sku-1/commands/reserve", #"{"orderId": "o-1", "qty": 4, "ttlSeconds": 60}"#,
                headers: [.contentType: "application/json", HTTPField.Name("Prefer")!: "handling=strict, return=representation"])
            #expect(reserved.headers[HTTPField.Name("Preference-Applied")!] == "return=representation")
            let state = try #require(reserved.json["state"] as? [String: Any])
            #expect(state["available"] as? Int == 6 && state["reserved"] as? Int == 4 && state["pendingOrders"] as? Int == 1)
            let order = try await client.get("/v1/objects/inventory/sku-1/views/stock?key=o-1")
            let pending = try #require(order.json["row"] as? [String: Any])
            #expect(order.json["key"] as? String == "o-1" && pending["status"] as? String == "pending")
            #expect(pending["expiresAt"] as? Int == Int(test.clock.nowMilliseconds()) + 60_000)

            // A plain append is folded into the view in the same transaction.
            let appended = try await client.post("/v1/objects/inventory/sku-1/events", #"{"events": [{"type": "Restocked", "data": {"qty": 5}}]}"#)
            #expect(appended.status == .created)
            let view = try await client.get("/v1/objects/inventory/sku-1/views/stock")
            #expect(view.status == .ok)
            #expect(view.json["view"] as? String == "stock" && view.json["version"] as? Int == 4, "restock, reserve (and its timer), restock")
            #expect((view.json["state"] as? [String: Any])?["available"] as? Int == 11)
        }
    }

    @Test("a command answers its events and version only, unless the state is asked for; a view read takes one part by JSON Pointer")
    func leanAnswers() async throws {
        try await withServer { client, _, _ in
            let lean = try await client.post("/v1/objects/inventory/sku-2/commands/restock", #"{"qty": 7}"#)
            #expect(lean.status == .ok && lean.json["version"] as? Int == 1 && (lean.json["events"] as? [Any])?.count == 1)
            #expect(lean.json["state"] == nil && lean.headers[HTTPField.Name("Preference-Applied")!] == nil)
            let minimal = try await client.post(
                "/v1/objects/inventory/sku-2/commands/restock", #"{"qty": 1}"#,
                headers: [.contentType: "application/json", HTTPField.Name("Prefer")!: "return=minimal"])
            #expect(minimal.status == .ok && minimal.json["state"] == nil)
            let unknown = try await client.post("/v1/objects/inventory/sku-2/commands/restock?include=views", #"{"qty": 1}"#)
            #expect(unknown.status == .badRequest && unknown.json["field"] as? String == "include")

            let part = try await client.get("/v1/objects/inventory/sku-2/views/stock?pointer=/available")
            #expect(part.status == .ok && part.json["value"] as? Int == 8 && part.json["version"] as? Int == 2)
            #expect(part.json["pointer"] as? String == "/available" && part.json["state"] == nil)
            let past = try await client.get("/v1/objects/inventory/sku-2/views/stock?pointer=/available&at=1")
            #expect(past.json["value"] as? Int == 7)
            let missing = try await client.get("/v1/objects/inventory/sku-2/views/stock?pointer=/rows/o-9/qty")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/pointer-not-found" && missing.json["field"] as? String == "pointer")
            let malformed = try await client.get("/v1/objects/inventory/sku-2/views/stock?pointer=available")
            #expect(malformed.status == .badRequest && malformed.json["field"] as? String == "pointer")
        }
    }

    @Test("a refused command answers its code and facts, and writes nothing")
    func rejection() async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 2}"#)
            let refused = try await client.post("/v1/objects/inventory/sku-1/commands/reserve", #"{"orderId": "o-1", "qty": 3}"#)
            #expect(refused.status == .conflict)
            #expect(refused.json["type"] as? String == "/problems/command-rejected")
            #expect(refused.json["code"] as? String == "INSUFFICIENT_STOCK")
            #expect(refused.json["available"] as? Int == 2 && refused.json["requested"] as? Int == 3)
            let invalid = try await client.post("/v1/objects/inventory/sku-1/commands/reserve", #"{"orderId": "o-1"}"#)
            #expect(invalid.status == .unprocessableContent && invalid.json["code"] as? String == "INVALID_COMMAND")
            let unknown = try await client.post("/v1/objects/inventory/sku-1/commands/steal", "{}")
            #expect(unknown.status == .notFound && unknown.json["type"] as? String == "/problems/command-not-found")
            let noView = try await client.get("/v1/objects/inventory/sku-1/views/nothing")
            #expect(noView.status == .notFound && noView.json["type"] as? String == "/problems/view-not-found")
            let noObject = try await client.get("/v1/objects/inventory/sku-404/views/stock")
            #expect(noObject.status == .notFound && noObject.json["type"] as? String == "/problems/object-not-found")
            #expect(try test.store.wholeLog().count == 1)
        }
    }

    @Test("concurrent reserves never oversell", arguments: [7, 19])
    func noOversell(stock: Int) async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/hot/commands/restock", "{\"qty\": \(stock)}")
            let outcomes = try await withThrowingTaskGroup(of: Int.self) { group in
                for order in 0..<32 {
                    group.addTask {
                        let response = try await client.post("/v1/objects/inventory/hot/commands/reserve", "{\"orderId\": \"o-\(order)\", \"qty\": \(1 + order % 3)}")
                        return Int(response.status.code)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(Set(outcomes).isSubset(of: [200, 409]))
            let view = try await client.get("/v1/objects/inventory/hot/views/stock")
            let state = try #require(view.json["state"] as? [String: Any])
            let available = try #require(state["available"] as? Int)
            let reserved = try #require(state["reserved"] as? Int)
            #expect(available >= 0 && available + reserved == stock)
            // Each accepted reserve appended Reserved and its expiry timer.
            #expect(outcomes.filter { $0 == 200 }.count * 2 == (try test.store.allEvents(of: "inventory/hot").count - 1))
        }
    }
}
