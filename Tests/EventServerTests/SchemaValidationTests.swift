import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Projections
import Testing

/// The repository's own `Schemas/` folder.
let repositorySchemas: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Schemas").path

@Suite("Appends are validated against Schemas/ before they queue")
struct SchemaValidationTests {
    private func catalog(allowsUndeclared: Bool = false) throws -> SchemaCatalog {
        try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: allowsUndeclared)
    }

    @Test("the bundled schemas load")
    func bundled() throws {
        let catalog = try catalog()
        #expect(Set(catalog.types.keys) == ["inventory", "document", "building", "order", "checkout", "reaction"])
        #expect(catalog.types["inventory"]?.events.keys.sorted() == ["Adjusted", "Confirmed", "Expired", "Released", "ReorderPointSet", "Reserved", "Restocked"])
    }

    @Test("a valid append passes; 422 lists every violation with its event and pointer; nothing is written")
    func violations() async throws {
        let schemas = try catalog()
        try await withServer(server: { $0.schemas = schemas }) { client, test, _ in
            let ok = try await client.post("/v1/objects/inventory/sku-1/events", #"{"events": [{"type": "Restocked", "data": {"qty": 10}}]}"#)
            #expect(ok.status == .created)
            let bad = try await client.post(
                "/v1/objects/inventory/sku-1/events",
                #"{"events": [{"type": "Restocked", "data": {"qty": 0}}, {"type": "Reserved", "data": {"qty": "2", "orderId": ""}}, {"type": "Stolen", "data": {}}]}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.json["type"] as? String == "/problems/schema-violation")
            let errors = try #require(bad.json["errors"] as? [[String: Any]])
            let pointers = Set(errors.compactMap { $0["pointer"] as? String })
            #expect(pointers.contains("/events/0/data/qty"))
            #expect(pointers.contains("/events/1/data/qty"))
            #expect(pointers.contains("/events/1/data/orderId"))
            #expect(pointers.contains("/events/1/data"), "expiresAt is missing")
            #expect(pointers.contains("/events/2/type"))
            #expect(errors.allSatisfy { ($0["message"] as? String)?.isEmpty == false && $0["event"] is Int })
            #expect(try test.store.wholeLog().count == 1)
        }
    }

    @Test("an undeclared object type is 404, unless undeclared types are allowed")
    func undeclared() async throws {
        let strict = try catalog()
        try await withServer(server: { $0.schemas = strict }) { client, test, _ in
            let response = try await client.post("/v1/objects/account/a-1/events", #"{"events": [{"type": "Opened", "data": {}}]}"#)
            #expect(response.status == .notFound)
            #expect(response.json["type"] as? String == "/problems/unknown-object-type")
            #expect(try test.store.wholeLog().isEmpty)
        }
        let lenient = try catalog(allowsUndeclared: true)
        try await withServer(server: { $0.schemas = lenient }) { client, _, _ in
            let response = try await client.post("/v1/objects/account/a-1/events", #"{"events": [{"type": "Opened", "data": {"any": [1, 2]}}]}"#)
            #expect(response.status == .created)
            let declared = try await client.post("/v1/objects/inventory/sku-1/events", #"{"events": [{"type": "Restocked", "data": {"qty": -1}}]}"#)
            #expect(declared.status == .unprocessableContent, "declared types are still validated")
        }
    }

    @Test("a broken schema file is refused at load time with its file and pointer")
    func brokenSchema() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try #"{"objectType": "thing", "events": {"Made": {"type": "object", "minimum": "five"}}}"#
            .write(toFile: directory.appending("thing.schema.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: SchemaCatalogError.self) { try SchemaCatalog.load(directory: directory.path, allowsUndeclared: false) }
        #expect(error?.path.hasSuffix("thing.schema.json") == true)
        #expect(error?.reason.contains("/events/Made") == true)
        try #"{"objectType": "other", "events": {"Made": {}}}"#.write(toFile: directory.appending("thing.schema.json"), atomically: true, encoding: .utf8)
        let mismatch = #expect(throws: SchemaCatalogError.self) { try SchemaCatalog.load(directory: directory.path, allowsUndeclared: false) }
        #expect(mismatch?.reason.contains("named for") == true)
    }
}

@Suite("Events decided by the bundled types match their own schemas")
struct DecidedEventConformanceTests {
    @Test("every event a bundled decider or timer handler appends validates against Schemas/")
    func conformance() async throws {
        let catalog = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        for (object, command, body) in DecidedEventConformanceTests.script {
            _ = try? await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object)), command: command, body: body))
        }
        test.clock.advance(byMilliseconds: 10_000_000)
        try await test.store.fireDueTimers()
        let log = try test.store.wholeLog().filter { !$0.type.hasPrefix("Timer") }
        #expect(log.count >= DecidedEventConformanceTests.script.count / 2)
        for event in log {
            let objectType = try ObjectType(String(event.object.split(separator: "/")[0]))
            let verdict = catalog.validate(objectType: objectType, eventTypes: [event.type], data: [try JSONValue(parsing: event.data)])
            #expect(verdict == .valid, "\(event.object) \(event.type) \(event.data)")
        }
    }

    /// Commands of every bundled type, each kind at least once.
    static let script: [(String, String, JSONValue)] = [
        ("inventory/c-1", "restock", ["qty": 10, "note": "pallet"]),
        ("inventory/c-1", "reserve", ["orderId": "o-1", "qty": 3, "ttlSeconds": 60]),
        ("inventory/c-1", "reserve", ["orderId": "o-2", "qty": 2]),
        ("inventory/c-1", "reserve", ["orderId": "o-3", "qty": 1]),
        ("inventory/c-1", "confirm", ["orderId": "o-1"]),
        ("inventory/c-1", "release", ["orderId": "o-2", "reason": "cancelled"]),
        ("inventory/c-1", "adjust", ["delta": -1, "reason": "broken"]),
        ("building/b-1", "addRule", ["ruleId": "hot", "sensorType": "temperature", "condition": "gt", "threshold": 30, "severity": "critical", "cooldownSeconds": 60]),
        ("building/b-1", "addRule", ["sensorType": "humidity", "condition": "range_outside", "min": 20, "max": 60, "severity": "warning", "cooldownSeconds": 0]),
        (
            "building/b-1", "record",
            [
                "readings": [
                    ["sensorId": "t-1", "sensorType": "temperature", "value": 35.5, "unit": "C", "timestamp": 1_767_225_600_000],
                    ["sensorId": "h-1", "sensorType": "humidity", "value": 75, "unit": "%", "quality": "good", "timestamp": 1_767_225_601_000],
                ]
            ]
        ),
        ("building/b-1", "acknowledge", ["alertId": "alert-1", "userId": "u-1"]),
        ("building/b-1", "resolve", ["alertId": "alert-1"]),
        ("document/d-1", "join", ["userId": "u-1", "userName": "Ada"]),
        ("document/d-1", "insertBlock", ["userId": "u-1", "blockId": "b-1", "text": "Hello", "kind": "heading"]),
        ("document/d-1", "insertBlock", ["userId": "u-1", "blockId": "b-2", "text": "World", "after": "b-1"]),
        ("document/d-1", "cursor", ["userId": "u-1", "blockId": "b-1", "offset": 3]),
        ("document/d-1", "updateBlock", ["userId": "u-1", "blockId": "b-2", "text": "there"]),
        ("document/d-1", "moveBlock", ["userId": "u-1", "blockId": "b-2", "before": "b-1"]),
        ("document/d-1", "deleteBlock", ["userId": "u-1", "blockId": "b-1"]),
        ("document/d-1", "undo", ["userId": "u-1"]),
        ("document/d-1", "leave", ["userId": "u-1"]),
        ("document/d-2", "join", ["userId": "u-2", "userName": "Idle"]),
    ]
}
