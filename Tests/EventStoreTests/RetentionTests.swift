import EventModel
import EventStoreTesting
import Foundation
import Projections
import Testing

@testable import EventStore

/// Retention: old events compacted behind snapshots, views exact, the past before the horizon
/// refused, branches keeping what they read.
@Suite("Retention: events compacted behind snapshots")
struct RetentionTests {
    static let stock = BundledTypes.inventory.views[0]

    /// The bundled types with `inventory` keeping `policy`.
    static func types(_ policy: RetentionPolicy) -> [String: ObjectTypeDefinition] {
        var types = BundledTypes.all
        types["inventory"]?.retention = policy
        return types
    }

    /// `count` commands on `stream`: restocks, and reservations confirmed, released or left
    /// pending (so the keyed view's rows change, are removed and stay).
    static func trade(_ test: TestStore, _ stream: StreamName, count: Int, from start: Int = 0) async throws {
        for index in start..<(start + count) {
            test.clock.advance(byMilliseconds: 1_000)
            let order = "o-\(index / 4)"
            switch index % 4 {
            case 0: _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 5]))
            case 1: _ = try await test.store.run(CommandRequest(stream: stream, command: "reserve", body: ["orderId": .string(order), "qty": 2]))
            case 2 where index % 8 == 2: _ = try await test.store.run(CommandRequest(stream: stream, command: "confirm", body: ["orderId": .string(order)]))
            case 2 where index % 16 == 6: _ = try await test.store.run(CommandRequest(stream: stream, command: "release", body: ["orderId": .string(order)]))
            default: _ = try await test.store.run(CommandRequest(stream: stream, command: "adjust", body: ["delta": 1, "reason": "count"]))
            }
        }
    }

    /// The view's summary and every row at `point`.
    static func state(_ test: TestStore, _ stream: StreamName, at point: HistoryPoint = .head) throws -> (summary: String, rows: [String]) {
        let summary = try #require(try test.store.readView(stock, of: stream, at: point)).state
        let rows = try #require(try test.store.readRows(stock, of: stream, RowQuery(.prefix(""), limit: 10_000), at: point)).rows
        return (String(decoding: summary, as: UTF8.self), rows.map { "\($0.key)=\(String(decoding: $0.json, as: UTF8.self))" })
    }

    @Test("compaction keeps the views exact at the head and after the horizon, refuses the past before it, and frees the events' storage")
    func compacts() async throws {
        let test = try TestStore.open(objectTypes: Self.types(RetentionPolicy(events: 60))) { $0.snapshotIntervalEvents = 16 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-r"))
        try await Self.trade(test, stream, count: 240)
        _ = try await test.store.append(TestEvents.deposits("account/other", count: 3))
        try await test.store.checkpoint()
        let head = try test.store.version(of: stream)
        // A full fold of every point, done before.
        let before = try (0...head).map { try Self.state(test, stream, at: .seq($0)) }
        let logBefore = try test.store.wholeLog()

        let pass = try await test.store.applyRetention()
        let horizon = try #require(try test.store.horizon(of: stream))
        #expect(pass.streams == 1 && pass.events == horizon.seq && pass.checkpoints > 0)
        #expect(horizon.seq >= head - 60 - 16 && horizon.seq <= head - 60, "the newest checkpoint keeping 60 events")
        #expect(try await test.store.applyRetention() == RetentionPass(), "nothing more is due")

        #expect(try Self.state(test, stream) == before[Int(head)], "the head")
        for seq in horizon.seq...head { #expect(try Self.state(test, stream, at: .seq(seq)) == before[Int(seq)], "as of \(seq)") }
        #expect(throws: EventStoreError.compacted(horizon)) { try Self.state(test, stream, at: .seq(horizon.seq - 1)) }
        #expect(throws: EventStoreError.compacted(horizon)) { try test.store.seq(of: stream, at: .time(horizon.milliseconds - 1)) }
        #expect(try test.store.seq(of: stream, at: .time(horizon.milliseconds)) == horizon.seq)
        #expect(throws: EventStoreError.compacted(horizon)) { try test.store.readStream(stream, from: 1, limit: 10) { _ in } }
        var first: Seq?
        _ = try test.store.readStream(stream, from: 0, limit: 1) { first = $0.seq }
        #expect(first == horizon.seq + 1, "from 0 reads from the first event kept")

        // The log has holes where the events were; the rest is as it was, in order.
        let logAfter = try test.store.wholeLog()
        #expect(logAfter.count == logBefore.count - Int(horizon.seq))
        #expect(logAfter.map(\.position) == logBefore.map(\.position).filter { position in logAfter.contains { $0.position == position } })
        #expect(logAfter.filter { $0.object == "inventory/sku-r" }.map(\.seq) == Array((horizon.seq + 1)...head))
        // Snapshots before the horizon, and row versions it hides, are gone.
        let (snapshots, rowVersions) = try test.store.environment.read { transaction in
            (try transaction.count(test.store.layout.snapshots), try transaction.count(test.store.layout.rows))
        }
        #expect(snapshots <= Int((head - horizon.seq) / 16 + 2) * BundledTypes.inventory.views.count)
        #expect(rowVersions > 0)

        let summary = try test.store.verify()
        #expect(summary.findings.isEmpty && summary.objects == 1)

        // A restart wakes the object from its snapshots; it goes on as before.
        await test.close()
        let reopened = try test.reopened()
        #expect(try Self.state(reopened, stream) == before[Int(head)])
        try await Self.trade(reopened, stream, count: 8, from: 240)
        #expect(try reopened.store.version(of: stream) > head)
        #expect(try reopened.store.verify().findings.isEmpty)
        await reopened.close()
    }

    @Test("a fork below the horizon is refused; a branch keeps the events it reads until it is deleted; a branch at the horizon reads from it")
    func branches() async throws {
        let test = try TestStore.open(objectTypes: Self.types(RetentionPolicy(events: 20))) { $0.snapshotIntervalEvents = 8 }
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/sku-b")
        let main = StreamName(object: object)
        try await Self.trade(test, main, count: 40)
        try await test.store.checkpoint()
        _ = try await test.store.createBranch(try BranchName("what-if"), of: object, at: 24)
        let branch = StreamName(object: object, branch: try BranchName("what-if"))
        let branchState = try Self.state(test, branch)
        try await Self.trade(test, main, count: 80, from: 40)
        try await test.store.checkpoint()
        _ = try await test.store.applyRetention()
        let horizon = try #require(try test.store.horizon(of: main))
        #expect(horizon.seq <= 24, "main keeps what what-if (forked at 24) reads")
        #expect(try Self.state(test, branch) == branchState)
        #expect(try test.store.verify().findings.isEmpty)

        try await test.store.deleteBranch(try BranchName("what-if"), of: object)
        _ = try await test.store.applyRetention()
        let later = try #require(try test.store.horizon(of: main))
        let mainHead = try test.store.version(of: main)
        #expect(later.seq >= mainHead - 20 - 8 && later.seq <= mainHead - 20)
        await #expect(throws: EventStoreError.compacted(later)) {
            _ = try await test.store.createBranch(try BranchName("too-old"), of: object, at: later.seq - 1)
        }
        let late = try await test.store.createBranch(try BranchName("late"), of: object, at: later.seq)
        #expect(late.forkSeq == later.seq)
        let lateStream = StreamName(object: object, branch: try BranchName("late"))
        #expect(try Self.state(test, lateStream) == Self.state(test, main, at: .seq(later.seq)))
        #expect(try test.store.horizon(of: lateStream) == later, "a branch's line starts at its parent's horizon")
        try await Self.trade(test, main, count: 4, from: 120)
        try await Self.trade(test, lateStream, count: 4, from: 200)
        #expect(try Self.state(test, lateStream).summary != Self.state(test, main).summary)
        #expect(try test.store.verify().findings.isEmpty)
    }

    @Test("nothing a cross-object view (or a reaction) has not folded yet is compacted; once it has, retention goes on")
    func logReadersHoldRetention() async throws {
        let test = try TestStore.open(objectTypes: Self.types(RetentionPolicy(events: 10)), logViews: BundledTypes.logViews) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-l"))
        try await Self.trade(test, stream, count: 60)
        try await test.store.checkpoint()
        #expect(try await test.store.applyRetention() == RetentionPass(), "the views are at position 0")
        _ = try await test.store.catchUpLogViews()
        let pass = try await test.store.applyRetention()
        #expect(pass.events > 0 && pass.streams == 1)
    }

    @Test("a branch that compacted its own events is not merged from or into across its horizon (what each holds of the other is gone)")
    func mergeAcrossHorizon() async throws {
        let test = try TestStore.open(objectTypes: Self.types(RetentionPolicy(events: 8))) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/sku-m")
        let main = StreamName(object: object)
        try await Self.trade(test, main, count: 8)
        let side = try BranchName("side")
        _ = try await test.store.createBranch(side, of: object)
        let sideStream = StreamName(object: object, branch: side)
        try await Self.trade(test, sideStream, count: 40, from: 8)
        try await test.store.checkpoint()
        _ = try await test.store.applyRetention()
        let horizon = try #require(try test.store.horizon(of: sideStream))
        await #expect(throws: EventStoreError.compacted(horizon)) { _ = try await test.store.merge(side, into: main) }
        await #expect(throws: EventStoreError.compacted(horizon)) { _ = try await test.store.merge(.main, into: sideStream) }
    }

    @Test("a period keeps every event younger than it; the object's last event always stays")
    func period() async throws {
        let test = try TestStore.open(objectTypes: Self.types(RetentionPolicy(milliseconds: 30_000))) { $0.snapshotIntervalEvents = 10 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-p"))
        try await Self.trade(test, stream, count: 100)  // a command a second
        try await test.store.checkpoint()
        let now = test.clock.nowMilliseconds()
        let head = try test.store.version(of: stream)
        let before = try test.store.allEvents(of: "inventory/sku-p").map(\.timeMilliseconds)
        _ = try await test.store.applyRetention()
        let horizon = try #require(try test.store.horizon(of: stream))
        #expect(horizon.milliseconds < now - 30_000 && horizon.seq >= head - 60)
        let times = try test.store.allEvents(of: "inventory/sku-p").map(\.timeMilliseconds)
        #expect(times.count == Int(head - horizon.seq) && times == Array(before.suffix(times.count)))
        #expect(times.filter { $0 >= now - 30_000 }.count == before.filter { $0 >= now - 30_000 }.count, "every event younger than 30 s kept")

        test.clock.advance(byMilliseconds: 3_600_000)
        _ = try await test.store.applyRetention()
        let last = try #require(try test.store.horizon(of: stream))
        #expect(last.seq < head && last.seq > horizon.seq, "the last event is never compacted")
    }

    @Test("a telemetry workload: 20 sensors at 5 Hz kept 5 minutes, then 30 simulated minutes once compaction keeps up: the data file stays flat (within 10%)")
    func flatFile() async throws {
        var types = BundledTypes.all
        types["building"]?.retention = RetentionPolicy(milliseconds: 300_000)
        let test = try TestStore.open(objectTypes: types) { $0.snapshotIntervalEvents = 20 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "building/hq"))
        let file = test.store.configuration.directory + "/data.mdb"
        var sizes: [Int] = []
        for minute in 1...45 {
            // A command a second, each with the last second's readings of every sensor.
            for _ in 0..<60 {
                test.clock.advance(byMilliseconds: 1_000)
                let now = test.clock.nowMilliseconds()
                let readings: [JSONValue] = (0..<100).map { index in
                    [
                        "sensorId": .string("t-\(index % 20)"), "sensorType": "temperature", "value": .number(Double(20 + index % 7)), "unit": "C",
                        "timestamp": .number(Double(now - 1_000 + Int64(index / 20) * 200)),
                    ]
                }
                _ = try await test.store.run(CommandRequest(stream: stream, command: "record", body: ["readings": .array(readings)]))
            }
            _ = try await test.store.applyRetention()
            // Once compaction keeps up: 5 minutes kept, compacted a checkpoint at a time, 5 more
            // for the first horizons to pass and the freed pages to be reused.
            if minute >= 15 { sizes.append(try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)) }
        }
        let horizon = try #require(try test.store.horizon(of: stream))
        #expect(horizon.milliseconds >= test.clock.nowMilliseconds() - 300_000 - 60_000, "about 5 minutes kept")
        let (smallest, largest) = (try #require(sizes.min()), try #require(sizes.max()))
        #expect(Double(largest) <= Double(smallest) * 1.10, "data file sizes from minute 15 to 45: \(sizes)")
        let summary = try test.store.verify()
        #expect(summary.findings.isEmpty)
    }
}
