import EventModel
import HTTPTypes
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@Suite("DELETE /v1/objects/{type}/{id}: erasure, and 410 for every request about the object after it")
struct ErasureRouteTests {
    @Test("erased: 200 with its tombstone's position; then its events, views, branches, archive, appends and commands are 410 with when; the log shows tombstones")
    func erase() async throws {
        try await withServer(store: { $0.masterKey = [UInt8](repeating: 3, count: 32) }) { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/sku-9/commands/restock", #"{"qty": 4}"#)
            _ = try await client.post("/v1/objects/account/a/events", #"{"events": [{"type": "Deposited", "data": {"holder": "Alice Liddell"}}]}"#)
            let erased = try await client.execute(uri: "/v1/objects/account/a", method: .delete)
            #expect(erased.status == .ok && erased.json["position"] as? Int == 3 && erased.json["object"] as? String == "account/a", "\(erased.text)")
            let erasedAt = erased.json["erasedAt"] as? Int
            for (method, uri) in [
                (HTTPRequest.Method.get, "/v1/objects/account/a/events"), (.get, "/v1/objects/account/a/branches"), (.get, "/v1/objects/account/a/archive"),
                (.post, "/v1/objects/account/a/events"), (.delete, "/v1/objects/account/a"), (.post, "/v1/objects/account/a/branches"),
                (.get, "/v1/objects/account/a/ws"),
            ] {
                let answer = try await client.execute(
                    uri: uri, method: method, headers: [.contentType: "application/json"],
                    body: method == .post ? ByteBuffer(string: #"{"events": [{"type": "Deposited", "data": {}}], "name": "b"}"#) : nil)
                #expect(answer.status == .gone && answer.json["type"] as? String == "/problems/object-erased" && answer.json["erasedAt"] as? Int == erasedAt, "\(method) \(uri): \(answer.text)")
            }
            let log = try await client.get("/v1/log?after=0&limit=10")
            let events = log.json["events"] as? [[String: Any]] ?? []
            #expect(events.map { $0["type"] as? String } == ["Restocked", "ObjectErased", "ObjectErased"], "\(log.text)")
            #expect(!log.text.contains("Alice"))
            let other = try await client.get("/v1/objects/inventory/sku-9/views/stock")
            #expect(other.status == .ok, "another object is untouched")
            let missing = try await client.execute(uri: "/v1/objects/account/nobody", method: .delete)
            #expect(missing.status == .notFound)
        }
        try await withServer { client, _, _ in
            _ = try await client.post("/v1/objects/account/a/events", #"{"events": [{"type": "Deposited", "data": {}}]}"#)
            let refused = try await client.execute(uri: "/v1/objects/account/a", method: .delete)
            #expect(refused.status == .conflict && refused.json["type"] as? String == "/problems/sealing-off")
        }
    }
}
