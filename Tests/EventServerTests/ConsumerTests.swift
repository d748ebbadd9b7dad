import EventModel
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Projections
import Testing

@testable import EventStore

@Suite("Consumers")
struct ConsumerTests {
    @Test("a consumer gets what its filter lets through, in order, once; its acknowledged position survives a reopen")
    func filterAndResume() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let (created, isNew) = try await test.store.putConsumer("search", filter: ConsumerFilter(objectTypes: ["inventory"]))
        #expect(isNew && created.position == 0)
        for index in 0..<30 {
            let object = index % 3 == 0 ? "building/b\(index)" : "inventory/s\(index)"
            _ = try await test.store.append(try TestEvents.request(object, [("Noted", "{\"n\":\(index)}")]))
        }
        var seen: [Position] = []
        let first = try #require(try test.store.readConsumer("search", limit: 7) { event, _ in seen.append(event.position) })
        #expect(first.delivered == 7 && first.next == seen.last && first.head == 30)
        try await test.store.ack("search", position: first.next)
        await test.close()

        let reopened = try test.reopened()
        #expect(try reopened.store.consumer("search")?.position == first.next)
        while true {
            let page = try #require(try reopened.store.readConsumer("search", limit: 5) { event, name in
                #expect(String(decoding: name.object, as: UTF8.self).hasPrefix("inventory/"))
                seen.append(event.position)
            })
            try await reopened.store.ack("search", position: page.next)
            if page.next == page.head { break }
        }
        let expected = (0..<30).filter { $0 % 3 != 0 }.map { Position($0 + 1) }
        #expect(seen == expected, "every inventory event, in order, no gap and no duplicate")
        // An ack below the position changes nothing; one past the head is refused.
        #expect(try await reopened.store.ack("search", position: 3).position == 30)
        await #expect(throws: EventStoreError.positionPastHead(field: "/position", position: 31, head: 30)) {
            try await reopened.store.ack("search", position: 31)
        }
        await #expect(throws: EventStoreError.consumerNotFound("nobody")) { try await reopened.store.ack("nobody", position: 1) }
        await reopened.destroy()
    }

    @Test("objects and object prefixes filter alone and with the other lists; a filter's JSON is checked member by member")
    func objectFilters() async throws {
        let test = try TestStore.open()
        let filter = try ConsumerFilter(json: ["objects": ["inventory/sku-1"], "objectPrefixes": ["inventory/sku-2"], "branches": ["main"]])
        _ = try await test.store.putConsumer("some", filter: filter)
        let objects = ["inventory/sku-1", "inventory/sku-10", "inventory/sku-2", "inventory/sku-25", "inventory/sku-3", "building/sku-1", "inventory/sku-1x"]
        for object in objects { _ = try await test.store.append(try TestEvents.request(object, [("Noted", "{}")])) }
        _ = try await test.store.createBranch(try BranchName("b"), of: try ObjectKey(parsing: "inventory/sku-1"), at: 1)
        _ = try await test.store.append(try TestEvents.request("inventory/sku-1", [("Noted", "{}")], branch: try BranchName("b")))
        var names: [String] = []
        _ = try test.store.readConsumer("some", limit: 100) { _, name in names.append(String(decoding: name.object, as: UTF8.self)) }
        #expect(names == ["inventory/sku-1", "inventory/sku-2", "inventory/sku-25"], "the object exactly, the prefix's objects, main only")
        #expect(try test.store.consumer("some")?.filter == filter, "kept as given")

        for (json, member) in [
            (["objects": ["inventory"]] as JSONValue, "objects/0"), (["objects": ["inventory/sku 1"]], "objects/0"),
            (["objectPrefixes": ["sku-"]], "objectPrefixes/0"), (["objectPrefixes": ["inventory/sku 1"]], "objectPrefixes/0"),
            (["objectTypes": ["Inventory"]], "objectTypes/0"), (["branches": ["main", "no branch"]], "branches/1"),
            (["objects": "inventory/sku-1"], "objects"), (["colors": []], "colors"), (["objects": [1]], "objects/0"),
        ] {
            #expect(throws: ConsumerFilterError.self, "\(json)") { _ = try ConsumerFilter(json: json) }
            do { _ = try ConsumerFilter(json: json) } catch { #expect(error.member == member, "\(json)") }
        }
        #expect(try ConsumerFilter(json: ["objectPrefixes": ["inventory/"]]).objectPrefixes == ["inventory/"], "a whole type as a prefix")
        await test.destroy()
    }

    @Test("start: earliest, latest, or a position; a replaced filter keeps the position")
    func starts() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        _ = try await test.store.append(try TestEvents.deposits("acct/a", count: 5))
        #expect(try await test.store.putConsumer("e", filter: ConsumerFilter(), start: .earliest).consumer.position == 0)
        #expect(try await test.store.putConsumer("l", filter: ConsumerFilter(), start: .latest).consumer.position == 5)
        #expect(try await test.store.putConsumer("p", filter: ConsumerFilter(), start: .position(2)).consumer.position == 2)
        let replaced = try await test.store.putConsumer("p", filter: ConsumerFilter(eventTypes: ["Deposited"]))
        #expect(!replaced.created && replaced.consumer.position == 2 && replaced.consumer.filter.eventTypes == ["Deposited"])
        await #expect(throws: EventStoreError.self) { _ = try await test.store.putConsumer("x", filter: ConsumerFilter(), start: .position(6)) }
        await #expect(throws: EventStoreError.self) { _ = try await test.store.putConsumer("Bad Name", filter: ConsumerFilter()) }
    }

    @Test("RFC 3339 times from epoch milliseconds, before and after 1970 and across leap days")
    func rfc3339() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for milliseconds: Int64 in [0, 1, 999, 1_000, 951_782_400_000, 1_767_225_600_123, -1, -86_400_001, 4_102_444_799_999, 1_709_164_800_000] {
            var writer = JSONWriter()
            RFC3339.write(milliseconds: milliseconds, into: &writer)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "\(milliseconds)")
        }
        for (milliseconds, expected) in [(Int64.min, "0000-01-01T00:00:00.000Z"), (Int64.max, "9999-12-31T23:59:59.999Z")] {
            var writer = JSONWriter()
            RFC3339.write(milliseconds: milliseconds, into: &writer)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == expected, "clamped")
        }
    }
}

@Suite("Consumers over HTTP")
struct ConsumerRouteTests {
    @Test("PUT, long-poll for CloudEvents, ack, list with lag, include a view, delete")
    func lifecycle() async throws {
        try await withServer { client, test, _ in
            let created = try await client.execute(
                uri: "/v1/consumers/audit", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"filters": {"objectTypes": ["inventory"]}, "start": "earliest"}"#))
            #expect(created.status == .created && created.json["position"] as? Int == 0)
            let replaced = try await client.execute(
                uri: "/v1/consumers/audit", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"filters": {"objectTypes": ["inventory"]}}"#))
            #expect(replaced.status == .ok)

            // A long poll answers when an event commits.
            let store = test.store
            let appender = Task {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku")), command: "restock", body: ["qty": 4]))
            }
            let polled = try await client.get("/v1/consumers/audit/events?wait=5000&include=view:stock")
            try await appender.value
            let events = try #require(polled.json["events"] as? [[String: Any]])
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(cloudEventProblems(event).isEmpty, "\(cloudEventProblems(event))")
            #expect(event["source"] as? String == "/v1/objects/inventory/sku" && event["type"] as? String == "Restocked")
            #expect(event["subject"] as? String == "main" && event["objecttype"] as? String == "inventory" && event["seq"] as? Int == 1)
            #expect(((event["view"] as? [String: Any])?["state"] as? [String: Any])?["available"] as? Int == 4)
            let next = try #require(polled.json["next"] as? Int)

            let listed = try await client.get("/v1/consumers")
            #expect((listed.json["consumers"] as? [[String: Any]])?.first?["lag"] as? Int == 1)
            let acked = try await client.post("/v1/consumers/audit/ack", "{\"position\": \(next)}")
            #expect(acked.status == .ok && acked.json["position"] as? Int == next && acked.json["lag"] as? Int == 0)
            let empty = try await client.get("/v1/consumers/audit/events?wait=50")
            #expect((empty.json["events"] as? [Any])?.isEmpty == true)

            let deleted = try await client.execute(uri: "/v1/consumers/audit", method: .delete)
            #expect(deleted.status == .noContent)
            let gone = try await client.get("/v1/consumers/audit/events")
            #expect(gone.status == .notFound && gone.json["type"] as? String == "/problems/consumer-not-found")
        }
    }

    @Test("a long poll that times out passes over the commits its filter leaves out, but not those of a filter replaced while it waited")
    func longPollPassesOver() async throws {
        try await withServer { client, test, _ in
            let store = test.store
            @Sendable func put(_ filter: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/v1/consumers/c", method: .put, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"filters": {"objects": ["\#(filter)"]}, "start": "earliest"}"#))
            }
            @Sendable func restock(_ object: String) async throws {
                _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object)), command: "restock", body: ["qty": 1]))
            }
            #expect(try await put("inventory/x").status == .created)
            let others = Task {
                try await Task.sleep(for: .milliseconds(200))
                for _ in 0..<3 { try await restock("inventory/other") }
            }
            let passed = try await client.get("/v1/consumers/c/events?wait=1500")
            try await others.value
            #expect((passed.json["events"] as? [Any])?.isEmpty == true && passed.json["next"] as? Int == 3, "\(passed.json)")

            // The filter is replaced while a poll waits on the old one: the event the new one
            // lets through is read, not passed over.
            let replaced = Task {
                try await Task.sleep(for: .milliseconds(200))
                _ = try await put("inventory/y")
                try await restock("inventory/y")
            }
            let polled = try await client.get("/v1/consumers/c/events?wait=1500")
            try await replaced.value
            let events = try #require(polled.json["events"] as? [[String: Any]], "\(polled.json)")
            #expect(events.count == 1 && events.first?["source"] as? String == "/v1/objects/inventory/y", "\(events)")
        }
    }

    @Test("a long poll under way when the server stops answers the page it has, without waiting out its time")
    func longPollAtShutdown() async throws {
        try await withServer { client, test, streams in
            let created = try await client.execute(
                uri: "/v1/consumers/c", method: .put, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"filters": {"objects": ["inventory/x"]}, "start": "earliest"}"#))
            #expect(created.status == .created)
            for _ in 0..<3 {
                _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/other")), command: "restock", body: ["qty": 1]))
            }
            let closer = Task {
                try await Task.sleep(for: .milliseconds(300))
                streams.close()
            }
            let polled = try await client.get("/v1/consumers/c/events?wait=60000")
            try await closer.value
            #expect(polled.status == .ok && (polled.json["events"] as? [Any])?.isEmpty == true && polled.json["next"] as? Int == 3, "\(polled.json)")
        }
    }

    @Test("bad consumer requests name the field")
    func refusals() async throws {
        try await withServer { client, _, _ in
            let put = { (body: String) in
                try await client.execute(uri: "/v1/consumers/c", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            }
            for (body, field) in [
                (#"{"start": "yesterday"}"#, "/start"), (#"{"filters": {"objectTypes": "inventory"}}"#, "/filters/objectTypes"), (#"{"filters": []}"#, "/filters"),
                (#"{"filters": {"colors": []}}"#, "/filters/colors"), (#"{"begin": 0}"#, "/begin"),
                (#"{"start": 1e20}"#, "/start"), (#"{"start": 2.5}"#, "/start"),
                (#"{"filters": {"objects": ["inventory"]}}"#, "/filters/objects/0"),
                (#"{"filters": {"objectPrefixes": ["sku-"]}}"#, "/filters/objectPrefixes/0"),
            ] {
                let response = try await put(body)
                #expect(response.status == .badRequest && response.json["field"] as? String == field, "\(body): \(response.text)")
            }
            // A start past the head can be asked again once the log has grown: 409.
            let ahead = try await put(#"{"start": 5}"#)
            #expect(ahead.status == .conflict && ahead.json["field"] as? String == "/start" && ahead.json["type"] as? String == "/problems/position-past-head")
            _ = try await put("{}")
            let ack = try await client.post("/v1/consumers/c/ack", #"{"position": "x"}"#)
            #expect(ack.status == .badRequest && ack.json["field"] as? String == "/position")
            let wait = try await client.get("/v1/consumers/c/events?wait=999999")
            #expect(wait.status == .badRequest && wait.json["field"] as? String == "wait")
            let include = try await client.get("/v1/consumers/c/events?include=stock")
            #expect(include.status == .badRequest && include.json["field"] as? String == "include")
            let unknownView = try await client.get("/v1/consumers/c/events?include=view:nope")
            #expect(unknownView.status == .notFound && unknownView.json["field"] as? String == "include" && unknownView.json["type"] as? String == "/problems/view-not-found")
            // Past the head: nothing, and no arithmetic going below zero.
            let past = try await client.get("/v1/consumers/c/events?after=999999999")
            #expect(past.status == .ok && (past.json["events"] as? [Any])?.isEmpty == true && past.json["lag"] as? Int == 0)
            let badName = try await client.get("/v1/consumers/Bad%20Name")
            #expect(badName.status == .badRequest)
        }
    }
}
