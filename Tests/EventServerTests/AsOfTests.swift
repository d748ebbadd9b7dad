import EventModel
import EventServer
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Projections
import Testing

@testable import EventStore

@Suite("Views and events as of any point of an object's past")
struct AsOfTests {
    @Test("the view at every seq, and at every commit time, equals folding that prefix of the stream", arguments: [1, 2, 3] as [UInt64])
    func everySeq(seed: UInt64) async throws {
        // Snapshots every 4 events: reads at most points start from one.
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/past"))
        var generator = SplitMix64(seed: seed)
        for step in 0..<40 {
            let body: (String, JSONValue) =
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: ("restock", ["qty": .number(Double(Int.random(in: 1...5, using: &generator)))])
                case 1: ("reserve", ["orderId": .string("o-\(step)"), "qty": .number(Double(Int.random(in: 1...3, using: &generator)))])
                case 2: ("confirm", ["orderId": .string("o-\(step - 1)")])
                default: ("adjust", ["delta": 1, "reason": "count"])
                }
            _ = try? await test.store.run(CommandRequest(stream: stream, command: body.0, body: body.1))
            test.clock.advance(byMilliseconds: 1_000)
        }
        let view = BundledTypes.inventory.views[0]
        let events = try test.store.allEvents(of: "inventory/past")
        let recorded = try events.map {
            RecordedEvent(seq: $0.seq, id: $0.id, type: $0.type, data: try JSONValue(parsing: $0.data), timeMilliseconds: $0.timeMilliseconds)
        }
        for seq in 0...events.count {
            let read = try #require(try test.store.readView(view, of: stream, at: .seq(UInt64(seq))))
            #expect(read.version == UInt64(seq))
            #expect(try read.state.withUnsafeBytes { try JSONValue(parsing: $0) } == (try view.materialize(Array(recorded[..<seq])).summary))
        }
        for event in events {
            let atTime = try #require(try test.store.readView(view, of: stream, at: .time(event.timeMilliseconds)))
            let lastAtThatTime = events.last { $0.timeMilliseconds <= event.timeMilliseconds }!.seq
            #expect(atTime.version == lastAtThatTime)
        }
        #expect(try test.store.readView(view, of: stream, at: .time(0))?.version == 0)
        #expect(try test.store.readView(view, of: stream, at: .seq(10_000))?.version == UInt64(events.count))
    }

    @Test("?at= and ?asOf= over HTTP, and bad points refused")
    func http() async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/h/commands/restock", #"{"qty": 5}"#)
            let restockedAt = test.clock.nowMilliseconds()
            test.clock.advance(byMilliseconds: 60_000)
            _ = try await client.post("/v1/objects/inventory/h/commands/restock", #"{"qty": 7}"#)
            let atOne = try await client.get("/v1/objects/inventory/h/views/stock?at=1")
            #expect(atOne.json["version"] as? Int == 1 && (atOne.json["state"] as? [String: Any])?["available"] as? Int == 5)
            let rfc3339 = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(restockedAt + 30_000) / 1000))
            let asOf = try await client.get("/v1/objects/inventory/h/views/stock?asOf=\(rfc3339)")
            #expect(asOf.json["version"] as? Int == 1)
            let events = try await client.get("/v1/objects/inventory/h/events?asOf=\(restockedAt)")
            #expect((events.json["events"] as? [[String: Any]])?.count == 1 && events.json["next"] is NSNull)
            let bad = try await client.get("/v1/objects/inventory/h/views/stock?asOf=yesterday")
            #expect(bad.status == .badRequest && bad.json["field"] as? String == "asOf")
            let both = try await client.get("/v1/objects/inventory/h/views/stock?at=1&asOf=0")
            #expect(both.status == .unprocessableContent && both.json["field"] as? String == "asOf", "two points: each well formed, together in conflict")
        }
    }
}

/// The stock view under a bumped version: snapshots written by the current one must not be used
/// for it.
struct StockViewBumped: KeyedProjection {
    typealias Row = StockView.Order
    let name = "stock"
    let version = StockView().version + 1
    var initialSummary: StockView.Summary { StockView().initialSummary }
    func apply(_ summary: inout StockView.Summary, _ rows: Rows<StockView.Order>, _ event: RecordedEvent) { StockView().apply(&summary, rows, event) }
}

@Suite("Snapshots")
struct SnapshotTests {
    @Test("snapshots are written about every K events and used; one of another view version is ignored")
    func snapshots() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/snap"))
        for _ in 0..<20 { _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 1])) }
        let current = BundledTypes.inventory.views[0]
        try await test.store.checkpoint()
        let bumped = AnyProjection(StockViewBumped())
        let (used, ignored) = try test.store.environment.read { transaction in
            let number = try #require(try test.store.layout.streamNumber(stream.storageKey, in: transaction))
            return (
                try test.store.layout.snapshot(of: current, stream: number, atMost: 10, in: transaction),
                try test.store.layout.snapshot(of: bumped, stream: number, atMost: 10, in: transaction)
            )
        }
        // Checkpoints run beside the writer: one starts once K events passed since the last.
        let seq = try #require(used?.seq)
        #expect(seq >= 4 && seq <= 10 && used?.summary["available"] == .number(Double(seq)))
        #expect(ignored == nil)
        let asOf = try #require(try test.store.readView(bumped, of: stream, at: .seq(10)))
        #expect(try asOf.state.withUnsafeBytes { try JSONValue(parsing: $0) }["available"] == 10, "folded from the events instead")
    }
}

@Suite("On-demand snapshots")
struct OnDemandSnapshotTests {
    @Test("POST .../snapshots snapshots every view at the head; an object with no events is 404")
    func onDemand() async throws {
        try await withServer { client, test, _ in
            _ = try await client.post("/v1/objects/inventory/od/commands/restock", #"{"qty": 3}"#)
            let response = try await client.post("/v1/objects/inventory/od/snapshots", "{}")
            #expect(response.status == .created && response.json["version"] as? Int == 1)
            #expect(response.json["views"] as? [String] == ["stock", "timers"])
            let stream = StreamName(object: try ObjectKey(parsing: "inventory/od"))
            let snapshot = try test.store.environment.read { transaction in
                try test.store.layout.snapshot(
                    of: BundledTypes.inventory.views[0], stream: try #require(try test.store.layout.streamNumber(stream.storageKey, in: transaction)),
                    atMost: 1, in: transaction)
            }
            #expect(snapshot?.seq == 1 && snapshot?.summary["available"] == 3)
            let missing = try await client.post("/v1/objects/inventory/none/snapshots", "{}")
            #expect(missing.status == .notFound)
        }
    }
}
