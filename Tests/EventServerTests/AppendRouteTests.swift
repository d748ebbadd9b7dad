import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("POST and GET /v1/objects/{type}/{id}/events")
struct AppendRouteTests {
    @Test("append answers 201 with numbers and an ETag, and reads back")
    func appendAndRead() async throws {
        try await withServer { client, _, _ in
            let created = try await client.post(
                "/v1/objects/inventory/sku-42/events",
                #"{"expectedVersion": 0, "events": [{"type": "Restocked", "data": {"qty": 10}}, {"type": "Reserved", "data": {"qty": 2}, "metadata": {"by": "me"}}]}"#)
            #expect(created.status == .created)
            #expect(created.headers[.eTag] == "\"2\"")
            let answer = created.json
            #expect(answer["object"] as? String == "inventory/sku-42")
            #expect(answer["branch"] as? String == "main")
            #expect(answer["firstSeq"] as? Int == 1 && answer["lastSeq"] as? Int == 2)
            #expect(answer["version"] as? Int == 2 && answer["position"] as? Int == 2)

            let page = try await client.get("/v1/objects/inventory/sku-42/events?from=1&limit=1")
            #expect(page.status == .ok)
            #expect(page.json["version"] as? Int == 2 && page.json["next"] as? Int == 2)
            let events = try #require(page.json["events"] as? [[String: Any]])
            #expect(events.count == 1)
            #expect(events[0]["seq"] as? Int == 1 && events[0]["position"] as? Int == 1)
            #expect(events[0]["type"] as? String == "Restocked")
            #expect((events[0]["data"] as? [String: Any])?["qty"] as? Int == 10)
            #expect(events[0]["metadata"] as? [String: Any] != nil && events[0]["time"] as? Int != nil)
            #expect(EventID(parsing: events[0]["id"] as? String ?? "") != nil)

            let rest = try await client.get("/v1/objects/inventory/sku-42/events?from=2")
            let last = try #require((rest.json["events"] as? [[String: Any]])?.first)
            #expect((last["metadata"] as? [String: Any])?["by"] as? String == "me")
            #expect(rest.json["next"] is NSNull)
        }
    }

    @Test("a batch whose every id was appended before answers 200 with the original numbers")
    func duplicateBatch() async throws {
        try await withServer { client, test, _ in
            let body = #"{"events": [{"type": "Restocked", "data": {}, "id": "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d"}]}"#
            let first = try await client.post("/v1/objects/inventory/sku-1/events", body)
            _ = try await client.post("/v1/objects/inventory/sku-2/events", #"{"events": [{"type": "Restocked", "data": {}}]}"#)
            let retry = try await client.post("/v1/objects/inventory/sku-1/events", body)
            #expect(first.status == .created && retry.status == .ok)
            #expect(retry.json["position"] as? Int == 1 && retry.json["lastSeq"] as? Int == 1)
            #expect(try test.store.wholeLog().count == 2)
        }
    }

    @Test("ids are validated after percent-decoding")
    func percentDecoding() async throws {
        try await withServer { client, test, _ in
            let created = try await client.post("/v1/objects/inventory/sku%2D7/events", #"{"events": [{"type": "Restocked", "data": {}}]}"#)
            #expect(created.status == .created)
            #expect(created.json["object"] as? String == "inventory/sku-7")
            #expect(try test.store.allEvents(of: "inventory/sku-7").count == 1)
            let slash = try await client.post("/v1/objects/inventory/a%2Fb/events", #"{"events": [{"type": "Restocked", "data": {}}]}"#)
            #expect(slash.status == .badRequest && slash.json["field"] as? String == "id")
        }
    }

    @Test("version conflicts: 409 with both versions; If-Match: 412 when stale, 201 when current")
    func conflicts() async throws {
        try await withServer { client, test, _ in
            let event = #"{"type": "Restocked", "data": {}}"#
            _ = try await client.post("/v1/objects/inventory/sku-1/events", "{\"events\": [\(event)]}")
            let conflict = try await client.post("/v1/objects/inventory/sku-1/events", "{\"expectedVersion\": 0, \"events\": [\(event)]}")
            #expect(conflict.status == .conflict)
            #expect(conflict.headers[.contentType] == "application/problem+json")
            #expect(conflict.json["type"] as? String == "/problems/version-conflict")
            #expect(conflict.json["expectedVersion"] as? Int == 0 && conflict.json["actualVersion"] as? Int == 1)

            let stale = try await client.post(
                "/v1/objects/inventory/sku-1/events", "{\"events\": [\(event)]}", headers: [.contentType: "application/json", .ifMatch: "\"7\""])
            #expect(stale.status == .preconditionFailed)
            #expect(stale.json["actualVersion"] as? Int == 1)
            let current = try await client.post(
                "/v1/objects/inventory/sku-1/events", "{\"events\": [\(event)]}", headers: [.contentType: "application/json", .ifMatch: "\"1\""])
            #expect(current.status == .created && current.headers[.eTag] == "\"2\"")
            #expect(try test.store.wholeLog().count == 2)
        }
    }
}
