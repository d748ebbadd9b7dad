import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

/// Live objects: what the writer keeps in memory, checkpoints and sends away must never change
/// an answer.
@Suite("Live objects: checkpoints, wakes and evictions answer as a fold from scratch")
struct LiveObjectTests {
    private let stock = BundledTypes.inventory.views[0]

    /// A seeded walk of inventory commands over `skus` SKUs: restocks, reservations of new and
    /// old orders, confirmations, releases, adjustments, and timers firing as the clock moves.
    private struct InventoryWalk {
        var generator: SplitMix64
        let skus: Int
        var orders: [Int: [String]] = [:]
        var next = 0

        init(seed: UInt64, skus: Int) {
            generator = SplitMix64(seed: seed)
            self.skus = skus
        }

        mutating func step() -> (object: String, command: String, body: JSONValue) {
            let sku = Int.random(in: 0..<skus, using: &generator)
            let object = "inventory/sku-\(sku)"
            let known = orders[sku, default: []]
            switch Int.random(in: 0..<10, using: &generator) {
            case 0...1: return (object, "restock", ["qty": .number(Double(Int.random(in: 1...20, using: &generator)))])
            case 2...5:
                next += 1
                let order = "o-\(next)"
                orders[sku, default: []].append(order)
                let ttl = Double(Int.random(in: 30...600, using: &generator))
                return (object, "reserve", ["orderId": .string(order), "qty": .number(Double(Int.random(in: 1...4, using: &generator))), "ttlSeconds": .number(ttl)])
            case 6...7 where !known.isEmpty:
                let command = Bool.random(using: &generator) ? "confirm" : "release"
                return (object, command, ["orderId": .string(known.randomElement(using: &generator)!)])
            default: return (object, "adjust", ["delta": .number(Double(Int.random(in: -3...3, using: &generator))), "reason": "count"])
            }
        }
    }

    /// What a command did, as two stores must agree on: the events it appended (types and
    /// data) and the version after, or the code it was refused with.
    private enum Answer: Equatable {
        case appended(types: [String], data: [JSONValue], version: Seq)
        case rejected(String)
    }

    /// Runs one step of a walk on `store`.
    private func run(_ store: EventStore, _ step: (object: String, command: String, body: JSONValue)) async throws -> Answer {
        let request = CommandRequest(stream: StreamName(object: try ObjectKey(parsing: step.object)), command: step.command, body: step.body)
        let outcome: CommandOutcome
        do { outcome = try await store.run(request) } catch {
            guard case .rejected(let rejection) = error else { throw error }
            return .rejected(rejection.code)
        }
        return .appended(types: outcome.events.map(\.type), data: outcome.events.map(\.data), version: outcome.version)
    }

    /// Every event of `stream` (a branch's include its parent's up to the fork), as folds take them.
    private func recorded(_ store: EventStore, _ stream: StreamName) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var failure: (any Error)?
        _ = try store.readStream(stream, from: 1, limit: Int.max) { event in
            do { events.append(try RecordedEvent(event)) } catch { failure = error }
        }
        if let failure { throw failure }
        return events
    }

    /// The stock view of `stream` at `point` as the store answers it: its summary and every
    /// row, read a page of 7 at a time.
    private func answered(_ store: EventStore, _ stream: StreamName, at point: HistoryPoint) throws -> MaterializedView? {
        guard let read = try store.readView(stock, of: stream, at: point) else { return nil }
        var rows: [String: JSONValue] = [:]
        var after: String?
        repeat {
            let page = try #require(try store.readRows(stock, of: stream, RowQuery(.prefix(""), after: after, limit: 7), at: point))
            #expect(page.version == read.version, "rows and summary of one read reflect one version")
            for row in page.rows { rows[row.key] = try row.json.withUnsafeBytes { try JSONValue(parsing: $0) } }
            after = page.next
        } while after != nil
        return MaterializedView(summary: try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }, rows: rows)
    }

    @Test("at every seq, on main and on a branch, live or folded from a checkpoint, the view equals a fold of the events from scratch")
    func everySeq() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all) {
            $0.snapshotIntervalEvents = 9
            $0.live.checkpointRowsMax = 4
            $0.live.checkpointChunkRowsMax = 2
        }
        let main = StreamName(object: try ObjectKey(parsing: "inventory/sku-0"))
        var walk = InventoryWalk(seed: 7, skus: 1)
        for index in 0..<240 {
            _ = try await run(test.store, walk.step())
            if index % 37 == 0 { test.clock.advance(byMilliseconds: 120_000) }
            if index % 41 == 0 { _ = try await test.store.fireDueTimers() }
            if index % 53 == 0 { try await test.store.checkpoint() }
            if index == 120 {
                // Woken again from its checkpoints by the next command.
                await test.close()
                test = try test.reopened()
            }
        }
        let forkAt = try test.store.seq(of: main, at: .head) / 2
        let branch = StreamName(object: main.object, branch: try BranchName("what-if"))
        _ = try await test.store.createBranch(branch.branch, of: main.object, at: forkAt)
        for _ in 0..<60 {
            var step = walk.step()
            step.object = "inventory/sku-0"
            let request = CommandRequest(stream: branch, command: step.command, body: step.body)
            _ = try? await test.store.run(request)
        }
        #expect(test.store.liveStatistics.objects >= 1, "the object is live")

        for stream in [main, branch] {
            let events = try recorded(test.store, stream)
            #expect(events.map(\.seq) == Array(1...Seq(events.count)))
            var checked = 0
            for seq in 0...events.count {
                let expected = try stock.materialize(Array(events.prefix(seq)))
                let point: HistoryPoint = seq == events.count ? .head : .seq(Seq(seq))
                guard let view = try answered(test.store, stream, at: point) else {
                    #expect(seq == 0 && stream == main, "only main before its first event has no view")
                    continue
                }
                // The first difference is enough to read; the ones after it follow from it.
                guard view == expected else {
                    Issue.record("\(stream) at \(seq): answered \(view), a fold from scratch gives \(expected)")
                    break
                }
                checked += 1
            }
            #expect(checked >= events.count)
        }
        let rows = try #require(try answered(test.store, main, at: .head)).rows
        #expect(rows.count > 20, "the walk left many orders")

        // Once closed and opened again nothing is live: the head is folded from the last checkpoint.
        await test.close()
        test = try test.reopened()
        #expect(test.store.liveStatistics.objects == 0)
        #expect(try answered(test.store, main, at: .head) == (try stock.materialize(try recorded(test.store, main))))
        await test.destroy()
    }

    @Test("a changed object is checkpointed once its time is up, and however often it changes it waits in the timed checks once")
    func timedCheckpoints() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all) {
            $0.snapshotIntervalEvents = 1_000_000
            $0.live.checkpointRowsMax = 1_000_000
            $0.live.checkpointIntervalMilliseconds = 30_000
        }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-t"))
        let snapshotSeq = { (store: EventStore) throws -> Seq? in
            try store.read { transaction in
                guard let number = try store.layout.streamNumber(stream.storageKey, in: transaction) else { return nil }
                return try store.layout.snapshot(of: self.stock, stream: number, atMost: .max, in: transaction)?.seq
            }
        }
        _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 5]))
        #expect(try snapshotSeq(test.store) == nil, "not yet: neither events nor time are up")
        var version: Seq = 1
        for _ in 0..<4 {
            test.clock.advance(byMilliseconds: 31_000)
            // The writer looks at the timed checks about once a second.
            var waited = 0
            while try snapshotSeq(test.store) != version, waited < 40 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(try snapshotSeq(test.store) == version, "checkpointed once its time was up")
            version = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 1])).version
        }
        await test.close()
        #expect(test.store.live.timedCheckEntries <= 1, "one entry for the one changed object, not one per change")
        test = try test.reopened()
        await test.destroy()
    }

    @Test("with a live budget of one byte, objects leave after every batch and wake for the next: every answer and state is as with room")
    func tinyBudget() async throws {
        let roomy = try TestStore.open(objectTypes: BundledTypes.all)
        let tiny = try TestStore.open(objectTypes: BundledTypes.all) {
            $0.live.bytesMax = 1
            $0.snapshotIntervalEvents = 5
            $0.live.checkpointRowsMax = 3
        }
        var walk = InventoryWalk(seed: 11, skus: 8)
        for index in 0..<400 {
            let step = walk.step()
            let expected = try await run(roomy.store, step)
            #expect(try await run(tiny.store, step) == expected, "step \(index): \(step.command) on \(step.object)")
            if index % 50 == 49 {
                for test in [roomy, tiny] {
                    test.clock.advance(byMilliseconds: 200_000)
                    _ = try await test.store.fireDueTimers()
                }
            }
        }
        try await tiny.store.checkpoint()
        _ = try await run(tiny.store, ("inventory/sku-0", "restock", ["qty": 1]))
        _ = try await run(roomy.store, ("inventory/sku-0", "restock", ["qty": 1]))
        #expect(tiny.store.liveStatistics.objects <= 2, "clean objects over the budget have left")
        #expect(roomy.store.liveStatistics.objects == 8, "with room, every object stays")

        for sku in 0..<8 {
            let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-\(sku)"))
            let events = try recorded(roomy.store, stream)
            let tinyEvents = try recorded(tiny.store, stream)
            #expect(tinyEvents.map(\.type) == events.map(\.type) && tinyEvents.map(\.data) == events.map(\.data))
            #expect(try answered(tiny.store, stream, at: .head) == answered(roomy.store, stream, at: .head))
        }
        #expect(try tiny.store.verify().findings.isEmpty)
        await roomy.destroy()
        await tiny.destroy()
    }
}
