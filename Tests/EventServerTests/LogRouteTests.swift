import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("GET /v1/log, /v1/log/stream, /healthz and /metrics")
struct LogRouteTests {
    @Test("the log is paged in position order with object and branch")
    func logPage() async throws {
        try await withServer { client, test, _ in
            for index in 0..<5 { _ = try await test.store.append(TestEvents.deposits("account/l-\(index % 2)", count: 1)) }
            let first = try await client.get("/v1/log?after=0&limit=3")
            let events = try #require(first.json["events"] as? [[String: Any]])
            #expect(events.map { $0["position"] as? Int } == [1, 2, 3])
            #expect(events.map { $0["object"] as? String } == ["account/l-0", "account/l-1", "account/l-0"])
            #expect(events.allSatisfy { $0["branch"] as? String == "main" })
            #expect(first.json["next"] as? Int == 3 && first.json["head"] as? Int == 5)
            let second = try await client.get("/v1/log?after=3")
            #expect((second.json["events"] as? [[String: Any]])?.map { $0["position"] as? Int } == [4, 5])
        }
    }

    @Test("the stream resumes after Last-Event-ID, then sends new commits and heartbeats")
    func streamResume() async throws {
        try await withServer(server: { $0.heartbeatSeconds = 1 }) { client, test, streams in
            _ = try await test.store.append(TestEvents.deposits("account/s", count: 3))
            let stopper = Task {
                try await Task.sleep(for: .milliseconds(300))
                let before = streams.heartbeatsSent
                _ = try await test.store.append(TestEvents.deposits("account/s", count: 1))
                // Two heartbeats after the append: the stream went round once more after the
                // first, so it has sent the event too, however busy the machine (waiting a fixed
                // time for them failed under a full test run's load).
                await streams.waitForHeartbeats(after: before + 1)
                streams.close()
            }
            let response = try await client.get("/v1/log/stream", headers: [HTTPField.Name("Last-Event-ID")!: "1"])
            try await stopper.value
            #expect(response.headers[.contentType] == "text/event-stream")
            let text = response.text
            #expect(!text.contains("id: 1\n"))
            #expect(text.contains("id: 2\nevent: Deposited\ndata: {\"object\":\"account/s\""))
            #expect(text.contains("id: 3\n") && text.contains("id: 4\n"))
            #expect(text.contains(": heartbeat"))
        }
    }

    @Test("the stream keeps only the objects, prefixes and branches asked for; a bad one is 400 naming the parameter")
    func streamFilters() async throws {
        try await withServer(server: { $0.heartbeatSeconds = 1 }) { client, test, streams in
            for object in ["account/a-1", "account/a-10", "account/b-1", "ledger/a-1"] {
                _ = try await test.store.append(TestEvents.deposits(object, count: 1))
            }
            // Asked before the streams close: a server shutting down answers every request 503.
            for (query, field) in [("object=account", "object"), ("objectPrefix=a-", "objectPrefix"), ("branch=no%20branch", "branch"), ("objectType=Account", "objectType")] {
                let bad = try await client.get("/v1/log/stream?\(query)")
                #expect(bad.status == .badRequest && bad.json["field"] as? String == field, "\(query)")
            }
            let stopper = Task {
                // A heartbeat: the stream has sent what the log held, and is idle.
                await streams.waitForHeartbeats(after: 0)
                streams.close()
            }
            let response = try await client.get("/v1/log/stream?object=account/a-1&objectPrefix=account/b-")
            try await stopper.value
            let text = response.text
            #expect(text.contains("id: 1\n") && text.contains("id: 3\n"))
            #expect(!text.contains("id: 2\n") && !text.contains("id: 4\n"), "not a-10 (a longer id), not another type's a-1")
            let late = try await client.get("/v1/log/stream")
            #expect(late.status == .serviceUnavailable && late.json["type"] as? String == "/problems/shutting-down", "once shutdown began")
            #expect(late.headers[.connection] == "close")
        }
    }

    @Test("one object's stream: its events from its own stream with seqs as ids, resumed after Last-Event-ID, its view after each batch")
    func objectStream() async throws {
        try await withServer(server: { $0.heartbeatSeconds = 1 }) { client, test, streams in
            for _ in 0..<2 {
                #expect(try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 5}"#).status == .ok)
                #expect(try await client.post("/v1/objects/inventory/sku-2/commands/restock", #"{"qty": 1}"#).status == .ok)
            }
            let noView = try await client.get("/v1/objects/inventory/sku-1/stream?view=nope")
            #expect(noView.status == .notFound && noView.json["field"] as? String == "view")
            let noBranch = try await client.get("/v1/objects/inventory/sku-1/stream?branch=nope")
            #expect(noBranch.status == .notFound && noBranch.json["type"] as? String == "/problems/branch-not-found")
            let stopper = Task {
                try await Task.sleep(for: .milliseconds(300))
                let before = streams.heartbeatsSent
                _ = try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 7}"#)
                // Two heartbeats after it: the stream has sent it (see streamResume).
                await streams.waitForHeartbeats(after: before + 1)
                streams.close()
            }
            let response = try await client.get(
                "/v1/objects/inventory/sku-1/stream?view=stock", headers: [HTTPField.Name("Last-Event-ID")!: "1"])
            try await stopper.value
            #expect(response.headers[.contentType] == "text/event-stream")
            let text = response.text
            #expect(!text.contains("id: 1\n") && text.contains("id: 2\nevent: Restocked\ndata: {\"seq\":2") && text.contains("id: 3\n"))
            #expect(!text.contains("\"qty\":1"), "no other object's events")
            #expect(text.contains("event: view\ndata: {\"view\":\"stock\",\"version\":2"), "the view after the first batch")
            #expect(text.contains("event: view\ndata: {\"view\":\"stock\",\"version\":3"), "and after the live one")
        }
    }

    @Test("health and metrics")
    func healthAndMetrics() async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/account/m/events", #"{"events": [{"type": "A", "data": {}}]}"#)
            let health = try await client.get("/healthz")
            #expect(health.status == .ok && health.json["position"] as? Int == 1)
            let metrics = try await client.get("/metrics")
            for name in ["evlog_queue_depth_requests", "evlog_log_readers_streams", "evlog_commit_seconds_bucket", "evlog_batch_events_bucket", "evlog_appended_events_total 1", "evlog_committed_position 1"] {
                #expect(metrics.text.contains(name), "missing \(name)")
            }
            _ = test
        }
    }
}
