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
                _ = try await test.store.append(TestEvents.deposits("account/s", count: 1))
                try await Task.sleep(for: .milliseconds(1_500))
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
