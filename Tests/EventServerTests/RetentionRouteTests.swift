import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Retention over HTTP")
struct RetentionRouteTests {
    static let base = "/v1/objects/building/b-1"

    static func record(_ client: any TestClientProtocol, _ test: TestStore, value: Int) async throws {
        let time = test.clock.nowMilliseconds()
        let body = #"{"readings": [{"sensorId": "t-1", "sensorType": "temperature", "value": \#(value), "unit": "C", "timestamp": \#(time)}]}"#
        let answer = try await client.post("\(base)/commands/record", body)
        #expect(answer.status == .created || answer.status == .ok, "\(answer.text)")
    }

    @Test("past a building's 7 days its readings are compacted: the past before the horizon is 410 compacted with the horizon, the rest reads as before")
    func compacted() async throws {
        try await withServer { client, test, _ in
            for value in 1...3 { try await Self.record(client, test, value: value) }
            #expect(try await client.post("\(Self.base)/snapshots", "{}").status == .created)
            for value in 4...5 { try await Self.record(client, test, value: value) }
            let before = try await client.get("\(Self.base)/views/aggregates?at=5")
            test.clock.advance(byMilliseconds: 8 * 86_400_000)
            try await Self.record(client, test, value: 6)
            // Nothing a cross-object view has not folded is compacted (the server's LogViewService folds them).
            _ = try await test.store.catchUpLogViews()
            let pass = try await test.store.applyRetention()
            // The horizon is the newest checkpoint of the readings older than 7 days: the one asked
            // for at 3, or a timed one later (the clock moved 8 days before the last record).
            let horizon = try #require(try test.store.horizon(of: StreamName(object: try ObjectKey(parsing: "building/b-1"))))
            let seq = Int(horizon.seq)
            #expect((3...5).contains(seq) && pass.events == horizon.seq)

            for uri in [
                "\(Self.base)/views/aggregates?at=\(seq - 1)", "\(Self.base)/events?from=\(seq - 1)", "\(Self.base)/archive",
                "\(Self.base)/views/aggregates?asOf=\(horizon.milliseconds - 1)",
            ] {
                let answer = try await client.get(uri)
                #expect(answer.status == .gone && answer.json["type"] as? String == "/problems/compacted", "\(uri): \(answer.text)")
                #expect(answer.json["horizon"] as? Int == seq && answer.json["horizonTime"] as? Int == Int(horizon.milliseconds), "\(uri): \(answer.text)")
            }
            let fork = try await client.post("\(Self.base)/branches", #"{"name": "old", "from": "main", "at": \#(seq - 1)}"#)
            #expect(fork.status == .gone && fork.json["horizon"] as? Int == seq, "\(fork.text)")
            let events = try await client.get("\(Self.base)/events")
            #expect((events.json["events"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == Array((seq + 1)...6), "\(events.text)")
            let after = try await client.get("\(Self.base)/views/aggregates?at=5")
            #expect(after.status == .ok && after.text == before.text)
            #expect(try await client.post("\(Self.base)/branches", #"{"name": "at-horizon", "from": "main", "at": \#(seq)}"#).status == .created)
        }
    }
}
