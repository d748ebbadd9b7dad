import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// One request that must be refused, and how.
struct BadInput: Sendable, CustomTestStringConvertible {
    let name: String
    let uri: String
    let body: String
    var contentType: String? = "application/json"
    var ifMatch: String?
    let status: Int
    let type: String
    var field: String?

    var testDescription: String { name }
}

let badInputs: [BadInput] = [
    BadInput(name: "not JSON", uri: "inventory/sku-1", body: #"{"events": ["#, status: 400, type: "malformed-json"),
    BadInput(name: "trailing garbage", uri: "inventory/sku-1", body: #"{"events": []} x"#, status: 400, type: "malformed-json"),
    BadInput(name: "not an object", uri: "inventory/sku-1", body: "[]", status: 400, type: "invalid-request", field: ""),
    BadInput(name: "no events", uri: "inventory/sku-1", body: "{}", status: 400, type: "invalid-request", field: "/events"),
    BadInput(name: "events not an array", uri: "inventory/sku-1", body: #"{"events": {}}"#, status: 400, type: "invalid-request", field: "/events"),
    BadInput(name: "empty events", uri: "inventory/sku-1", body: #"{"events": []}"#, status: 400, type: "invalid-request", field: "/events"),
    BadInput(name: "event without type", uri: "inventory/sku-1", body: #"{"events": [{"data": {}}]}"#, status: 400, type: "invalid-request", field: "/events/0/type"),
    BadInput(name: "bad event type", uri: "inventory/sku-1", body: #"{"events": [{"type": "Re stocked", "data": {}}]}"#, status: 400, type: "invalid-request", field: "/events/0/type"),
    BadInput(name: "event without data", uri: "inventory/sku-1", body: #"{"events": [{"type": "A"}]}"#, status: 400, type: "invalid-request", field: "/events/0/data"),
    BadInput(name: "data not an object", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": 3}]}"#, status: 400, type: "invalid-request", field: "/events/0/data"),
    BadInput(name: "bad id", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}, "id": "nope"}]}"#, status: 400, type: "invalid-request", field: "/events/0/id"),
    BadInput(
        name: "id twice", uri: "inventory/sku-1",
        body: #"{"events": [{"type": "A", "data": {}, "id": "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d"}, {"type": "A", "data": {}, "id": "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d"}]}"#,
        status: 400, type: "invalid-request", field: "/events/1/id"),
    BadInput(name: "metadata not an object", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}, "metadata": []}]}"#, status: 400, type: "invalid-request", field: "/events/0/metadata"),
    BadInput(name: "unknown event member", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}, "colour": 1}]}"#, status: 400, type: "invalid-request", field: "/events/0/colour"),
    BadInput(name: "negative expected version", uri: "inventory/sku-1", body: #"{"expectedVersion": -1, "events": [{"type": "A", "data": {}}]}"#, status: 400, type: "invalid-request", field: "/expectedVersion"),
    BadInput(name: "expected version as a string", uri: "inventory/sku-1", body: #"{"expectedVersion": "1", "events": [{"type": "A", "data": {}}]}"#, status: 400, type: "invalid-request", field: "/expectedVersion"),
    BadInput(name: "invalid UTF-8 in data", uri: "inventory/sku-1", body: "{\"events\": [{\"type\": \"A\", \"data\": {\"a\": \"\u{1}\"}}]}", status: 400, type: "malformed-json"),
    BadInput(name: "bad object type", uri: "Inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}}]}"#, status: 400, type: "invalid-object-key", field: "type"),
    BadInput(name: "id too long", uri: "inventory/" + String(repeating: "a", count: 201), body: #"{"events": [{"type": "A", "data": {}}]}"#, status: 400, type: "invalid-object-key", field: "id"),
    BadInput(name: "id with a space", uri: "inventory/a%20b", body: #"{"events": [{"type": "A", "data": {}}]}"#, status: 400, type: "invalid-object-key", field: "id"),
    BadInput(name: "text/plain", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}}]}"#, contentType: "text/plain", status: 415, type: "unsupported-media-type", field: "Content-Type"),
    BadInput(name: "no content type", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}}]}"#, contentType: nil, status: 415, type: "unsupported-media-type", field: "Content-Type"),
    BadInput(name: "If-Match naming no version (unquoted)", uri: "inventory/sku-1", body: #"{"events": [{"type": "A", "data": {}}]}"#, ifMatch: "3", status: 412, type: "precondition-failed", field: "If-Match"),
    BadInput(name: "If-Match and expectedVersion disagree", uri: "inventory/sku-1", body: #"{"expectedVersion": 0, "events": [{"type": "A", "data": {}}]}"#, ifMatch: "\"3\"", status: 400, type: "invalid-request", field: "If-Match"),
    BadInput(name: "unknown branch", uri: "inventory/sku-1/events?branch=dev", body: #"{"events": [{"type": "A", "data": {}}]}"#, status: 404, type: "branch-not-found", field: "branch"),
    BadInput(name: "event over the size limit", uri: "inventory/sku-1", body: "{\"events\": [{\"type\": \"A\", \"data\": {\"pad\": \"\(String(repeating: "p", count: 300))\"}}]}", status: 413, type: "payload-too-large", field: "/events/0"),
    BadInput(name: "too many events", uri: "inventory/sku-1", body: "{\"events\": [\(Array(repeating: #"{"type": "A", "data": {}}"#, count: 4).joined(separator: ","))]}", status: 413, type: "payload-too-large", field: "events"),
    BadInput(name: "body over the request limit", uri: "inventory/sku-1", body: "{\"events\": [{\"type\": \"A\", \"data\": {}}], \"pad\": \"\(String(repeating: " ", count: 2000))\"}", status: 413, type: "payload-too-large"),
]

@Suite("Every bad input is refused with problem+json, and writes nothing")
struct BadInputTests {
    @Test(arguments: badInputs)
    func refused(_ input: BadInput) async throws {
        try await withServer(store: {
            $0.limits.eventBytesMax = 256
            $0.limits.eventsPerRequestMax = 3
            $0.limits.requestBytesMax = 1024
        }) { client, test, _ in
            var headers: HTTPFields = [:]
            if let contentType = input.contentType { headers[.contentType] = contentType }
            if let ifMatch = input.ifMatch { headers[.ifMatch] = ifMatch }
            let path = input.uri.contains("/events") ? input.uri : input.uri + "/events"
            let response = try await client.post("/v1/objects/" + path, input.body, headers: headers)
            #expect(Int(response.status.code) == input.status, "\(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.json["type"] as? String == "/problems/\(input.type)")
            #expect(response.json["status"] as? Int == input.status)
            #expect((response.json["detail"] as? String)?.isEmpty == false)
            if let field = input.field { #expect(response.json["field"] as? String == field) }
            #expect(try test.store.wholeLog().isEmpty, "a refused request wrote something")
        }
    }

    @Test("bad query parameters, unknown routes, and known paths with other methods")
    func queries() async throws {
        try await withServer { client, _, _ in
            let from = try await client.get("/v1/objects/inventory/sku-1/events?from=0")
            #expect(from.status == .badRequest && from.json["field"] as? String == "from")
            let limit = try await client.get("/v1/log?limit=5000")
            #expect(limit.status == .badRequest && limit.json["field"] as? String == "limit")
            let missing = try await client.get("/v1/objects/inventory/nothing/events")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/object-not-found")
            let route = try await client.get("/v2/whatever")
            #expect(route.status == .notFound && route.headers[.contentType] == "application/problem+json")
            #expect(route.json["type"] as? String == "/problems/not-found")
            // A path a route has, with a method it does not take: 405 with what it takes.
            let method = try await client.execute(uri: "/v1/objects/inventory/sku-1/events", method: .put)
            #expect(method.status == .methodNotAllowed && method.json["type"] as? String == "/problems/method-not-allowed")
            #expect(method.headers[.allow] == "POST, GET")
            let consumer = try await client.execute(uri: "/v1/consumers/c-1/ack", method: .get)
            #expect(consumer.status == .methodNotAllowed && consumer.headers[.allow] == "POST")
            let deeper = try await client.execute(uri: "/v1/objects/inventory/sku-1/events/more", method: .get)
            #expect(deeper.status == .notFound, "a longer path is no route's")
        }
    }

    @Test("storage full answers 507 and reads keep working")
    func storageFull() async throws {
        try await withServer(store: {
            $0.mapSizeBytes = 256 << 10
            $0.mapSizeMaxBytes = 512 << 10
        }) { client, test, _ in
            let pad = String(repeating: "z", count: 900)
            var last = 0
            for _ in 0..<200 {
                let response = try await client.post(
                    "/v1/objects/inventory/full/events",
                    "{\"events\": [\(Array(repeating: "{\"type\": \"A\", \"data\": {\"pad\": \"\(pad)\"}}", count: 10).joined(separator: ","))]}")
                last = Int(response.status.code)
                if last != 201 {
                    #expect(response.json["type"] as? String == "/problems/storage-full")
                    break
                }
            }
            #expect(last == 507)
            let read = try await client.get("/v1/objects/inventory/full/events?limit=1")
            #expect(read.status == .ok)
            #expect(try test.store.wholeLog().count % 10 == 0, "batches are all or nothing")
        }
    }

    @Test("a full queue answers 503 with Retry-After")
    func queueFull() {
        let problem = Problem(EventStoreError.queueFull)
        #expect(problem.status == .serviceUnavailable)
        #expect(problem.headers[.retryAfter] == "1")
        #expect(problem.type == .queueFull)
    }
}
