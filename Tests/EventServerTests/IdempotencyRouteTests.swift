import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Idempotency-Key over HTTP")
struct IdempotencyRouteTests {
    private static func keyed(_ key: String) -> HTTPFields {
        [.contentType: "application/json", HTTPField.Name("Idempotency-Key")!: key]
    }

    @Test("a command or an append sent again with its key answers the same status and body, and writes nothing")
    func retries() async throws {
        try await withServer { client, _, _ in
            let path = "/v1/objects/inventory/sku-r/commands/restock"
            let first = try await client.post(path, #"{"qty": 10}"#, headers: Self.keyed("order-17"))
            let again = try await client.post(path, #"{"qty": 10}"#, headers: Self.keyed("\"order-17\""))
            #expect(first.status == .ok && again.status == .ok && again.body == first.body)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true" && first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let withState = try await client.post(path + "?include=state", #"{"qty": 10}"#, headers: Self.keyed("order-17"))
            #expect((withState.json["state"] as? [String: Any])?["available"] as? Int == 10, "the view as the first answer left it")
            let view = try await client.get("/v1/objects/inventory/sku-r/views/stock?pointer=/available")
            #expect(view.json["value"] as? Int == 10 && view.json["version"] as? Int == 1)

            let other = try await client.post(path, #"{"qty": 11}"#, headers: Self.keyed("order-17"))
            #expect(other.status == .unprocessableContent && other.json["type"] as? String == "/problems/idempotency-key-reused")
            #expect(other.json["field"] as? String == "Idempotency-Key")

            let events = "/v1/objects/inventory/sku-r/events"
            let body = #"{"events": [{"type": "Restocked", "data": {"qty": 1}}]}"#
            let appended = try await client.post(events, body, headers: Self.keyed("append-1"))
            let appendedAgain = try await client.post(events, body, headers: Self.keyed("append-1"))
            #expect(appended.status == .created && appendedAgain.status == .created && appendedAgain.body == appended.body)
            #expect(appendedAgain.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let log = try await client.get(events)
            #expect(log.json["version"] as? Int == 2)
        }
    }

    @Test("a key that is empty, too long or has spaces is refused, naming the header")
    func badKeys() async throws {
        try await withServer { client, _, _ in
            for key in ["", "has space", String(repeating: "k", count: 256)] {
                let refused = try await client.post("/v1/objects/inventory/sku-b/commands/restock", #"{"qty": 1}"#, headers: Self.keyed(key))
                #expect(refused.status == .badRequest && refused.json["field"] as? String == "Idempotency-Key", "key \(key.prefix(20))")
            }
            let nothing = try await client.get("/v1/objects/inventory/sku-b/events")
            #expect(nothing.status == .notFound)
        }
    }
}
