import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

@Suite("Branches: forks, merges and deletes")
struct BranchTests {
    let view = BundledTypes.inventory.views[0]

    func stock(_ store: EventStore, _ stream: StreamName) throws -> JSONValue {
        let read = try #require(try store.readView(view, of: stream))
        return try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }
    }

    func run(_ store: EventStore, _ stream: StreamName, _ command: String, _ body: JSONValue) async throws {
        _ = try await store.run(CommandRequest(stream: stream, command: command, body: body))
    }

    @Test("a fork shares its parent's past up to the fork seq, copies nothing, and neither side sees the other's appends")
    func forkIsolation() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/fork")
        let main = StreamName(object: object)
        for qty in 1...10 { try await run(test.store, main, "restock", ["qty": .number(Double(qty))]) }
        let logBefore = try test.store.wholeLog().count
        let info = try await test.store.createBranch(try BranchName("what-if"), of: object, at: 6)
        #expect(info.forkSeq == 6 && info.head == 6)
        #expect(try test.store.wholeLog().count == logBefore, "a fork appends nothing to the log")
        let branch = StreamName(object: object, branch: try BranchName("what-if"))
        #expect(try stock(test.store, branch)["available"] == 21)
        #expect(try test.store.allEvents(of: "inventory/fork", branch: "what-if").map(\.seq) == Array(1...6))

        try await run(test.store, branch, "reserve", ["orderId": "b1", "qty": 3])
        try await run(test.store, main, "restock", ["qty": 100])
        #expect(try stock(test.store, branch)["available"] == 18)
        #expect(try stock(test.store, main)["available"] == 155)
        let branchEvents = try test.store.allEvents(of: "inventory/fork", branch: "what-if")
        #expect(branchEvents.map(\.seq) == Array(1...8), "reserve decides Reserved and TimerSet")
        let mainEvents = try test.store.allEvents(of: "inventory/fork")
        #expect(branchEvents.prefix(6).map(\.id) == mainEvents.prefix(6).map(\.id))
        #expect(!mainEvents.contains { $0.data.contains("b1") })

        // A fork of the fork, at a seq of its own, reads through both parents.
        let grandchild = try await test.store.createBranch(try BranchName("deeper"), of: object, from: try BranchName("what-if"), at: 7)
        #expect(grandchild.parent?.name == "what-if" && grandchild.forkSeq == 7)
        let deeper = StreamName(object: object, branch: try BranchName("deeper"))
        #expect(try test.store.allEvents(of: "inventory/fork", branch: "deeper").map(\.id) == branchEvents.prefix(7).map(\.id))
        #expect(try stock(test.store, deeper)["reserved"] == 3)

        // As of every seq, a branch's view is its own line folded that far.
        let recorded = try branchEvents.map {
            RecordedEvent(seq: $0.seq, id: $0.id, type: $0.type, data: try JSONValue(parsing: $0.data), timeMilliseconds: $0.timeMilliseconds)
        }
        for seq in 0...branchEvents.count {
            let read = try #require(try test.store.readView(view, of: branch, at: .seq(UInt64(seq))))
            #expect(try read.state.withUnsafeBytes { try JSONValue(parsing: $0) } == (try view.materialize(Array(recorded[..<seq])).summary))
        }

        let listed = try test.store.branches(of: object)
        #expect(listed.map(\.name.name) == ["main", "deeper", "what-if"])
        #expect(listed.map(\.head) == [11, 7, 8])
    }

    @Test("forks are refused for main, an existing name, a missing parent and a seq past the head")
    func forkRefusals() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/refuse")
        try await run(test.store, StreamName(object: object), "restock", ["qty": 1])
        await #expect(throws: EventStoreError.invalidRequest(field: "at", reason: "is 5, beyond the head of inventory/refuse (1)")) {
            _ = try await test.store.createBranch(try BranchName("b"), of: object, at: 5)
        }
        await #expect(throws: EventStoreError.self) { _ = try await test.store.createBranch(.main, of: object) }
        _ = try await test.store.createBranch(try BranchName("b"), of: object)
        await #expect(throws: EventStoreError.branchExists(StreamName(object: object, branch: try BranchName("b")))) {
            _ = try await test.store.createBranch(try BranchName("b"), of: object)
        }
        let ghost = StreamName(object: object, branch: try BranchName("ghost"))
        await #expect(throws: EventStoreError.branchNotFound(ghost)) {
            _ = try await test.store.createBranch(try BranchName("c"), of: object, from: try BranchName("ghost"))
        }
        await #expect(throws: EventStoreError.branchNotFound(ghost)) {
            _ = try await test.store.append(try TestEvents.request("inventory/refuse", [("Restocked", #"{"qty":1}"#)], branch: try BranchName("ghost")))
        }
    }

    @Test("timers pending at the fork seq belong to the branch; firing there leaves the parent alone")
    func forkedTimers() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/timers")
        let main = StreamName(object: object)
        try await run(test.store, main, "restock", ["qty": 10])
        try await run(test.store, main, "reserve", ["orderId": "o1", "qty": 4, "ttlSeconds": 60])
        try await run(test.store, main, "confirm", ["orderId": "o1"])
        // Forked before the confirm: the reservation's expiry is pending on the branch only.
        _ = try await test.store.createBranch(try BranchName("before-confirm"), of: object, at: 3)
        let branch = StreamName(object: object, branch: try BranchName("before-confirm"))
        test.clock.advance(byMilliseconds: 61_000)
        #expect(try test.store.dueTimers(now: test.clock.nowMilliseconds()).map(\.stream) == [branch])
        #expect(try await test.store.fireDueTimers() == 1)
        #expect(try stock(test.store, branch)["available"] == 10 && stock(test.store, branch)["reserved"] == 0)
        #expect(try stock(test.store, main)["sold"] == 4)
    }

    @Test("merge: fast-forward, replay that holds, replay that breaks an invariant, and nothing twice")
    func merges() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/merge")
        let main = StreamName(object: object)
        try await run(test.store, main, "restock", ["qty": 10])
        let name = try BranchName("promo")
        let branch = StreamName(object: object, branch: name)
        _ = try await test.store.createBranch(name, of: object)
        try await run(test.store, branch, "adjust", ["delta": -2, "reason": "damaged"])

        let fastForward = try await test.store.merge(name, into: main, expectedVersion: .exactly(1))
        #expect(fastForward.mode == .fastForward && fastForward.events == 1 && fastForward.version == 2)
        #expect(try stock(test.store, main)["available"] == 8)
        let again = try await test.store.merge(name, into: main)
        #expect(again.mode == nil && again.events == 0 && again.version == 2, "nothing new to bring")

        // Both move: the branch's events replay on main's state.
        try await run(test.store, branch, "adjust", ["delta": -3, "reason": "count"])
        try await run(test.store, main, "restock", ["qty": 1])
        let replayed = try await test.store.merge(name, into: main)
        #expect(replayed.mode == .replayed && replayed.version == 4)
        #expect(try stock(test.store, main)["available"] == 6)

        // The branch sells what main no longer has: the replay breaks available ≥ 0.
        try await run(test.store, branch, "adjust", ["delta": -5, "reason": "write-off"])
        try await run(test.store, main, "adjust", ["delta": -6, "reason": "write-off"])
        let branchHead = try test.store.version(of: branch)
        let mainBefore = try test.store.allEvents(of: "inventory/merge")
        await #expect(throws: EventStoreError.self) { _ = try await test.store.merge(name, into: main, expectedVersion: .exactly(1)) }
        let refusal = await #expect(throws: EventStoreError.self) { _ = try await test.store.merge(name, into: main) }
        guard case .invariantBroken(let breach) = refusal else {
            Issue.record("expected an invariant breach, got \(String(describing: refusal))")
            return
        }
        #expect(breach.invariant == "available-non-negative" && breach.seq == branchHead && breach.eventType == "Adjusted")
        #expect(try test.store.allEvents(of: "inventory/merge") == mainBefore, "nothing was written")
    }

    @Test("delete: never main, not with children; the name is free again and the events stay in the log")
    func deletes() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/del")
        try await run(test.store, StreamName(object: object), "restock", ["qty": 1])
        let parent = try BranchName("p")
        _ = try await test.store.createBranch(parent, of: object)
        try await run(test.store, StreamName(object: object, branch: parent), "restock", ["qty": 2])
        _ = try await test.store.createBranch(try BranchName("child"), of: object, from: parent)
        await #expect(throws: EventStoreError.self) { try await test.store.deleteBranch(.main, of: object) }
        await #expect(throws: EventStoreError.branchHasChildren(StreamName(object: object, branch: parent), children: ["child"])) {
            try await test.store.deleteBranch(parent, of: object)
        }
        try await test.store.deleteBranch(try BranchName("child"), of: object)
        try await test.store.deleteBranch(parent, of: object)
        #expect(try test.store.branches(of: object).map(\.name) == [.main])
        #expect(try test.store.readStream(StreamName(object: object, branch: parent), limit: 10) { _ in } == nil)
        #expect(try test.store.wholeLog().count == 2, "the deleted branch's event stays in the log")
        let reborn = try await test.store.createBranch(parent, of: object)
        #expect(reborn.head == 1)
        #expect(try stock(test.store, StreamName(object: object, branch: parent))["available"] == 1)
    }

    @Test("a fork below its parent's own fork seq reads only the shared past; diff and merge see its events")
    func forkBelowParentFork() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 2 }
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/deep")
        let main = StreamName(object: object)
        for qty in 1...8 { try await run(test.store, main, "restock", ["qty": .number(Double(qty))]) }
        let b = try BranchName("b")
        let c = try BranchName("c")
        _ = try await test.store.createBranch(b, of: object, at: 6)
        try await run(test.store, StreamName(object: object, branch: b), "restock", ["qty": 100])
        _ = try await test.store.createBranch(c, of: object, from: b, at: 3)
        try await run(test.store, StreamName(object: object, branch: c), "restock", ["qty": 1_000])
        let events = try test.store.allEvents(of: "inventory/deep", branch: "c")
        let mainEvents = try test.store.allEvents(of: "inventory/deep")
        #expect(events.prefix(3).map(\.id) == mainEvents.prefix(3).map(\.id))
        #expect(events.map(\.seq) == [1, 2, 3, 4] && events[3].data == #"{"qty":1000}"#)
        #expect(try stock(test.store, StreamName(object: object, branch: c))["available"] == 1_006)
        #expect(try test.store.commonAncestor(of: StreamName(object: object, branch: c), and: main).seq == 3)
        let diff = try BranchDiff(store: test.store, branch: StreamName(object: object, branch: c), against: main, view: view, limit: 10)
        #expect(diff.ancestorSeq == 3 && diff.heads == (4, 8))
        let merged = try await test.store.merge(c, into: main)
        #expect(merged.mode == .replayed && merged.version == 9)
    }

    @Test("nothing is merged twice: back the other way after a fast-forward, or through a fork of the merged branch")
    func noDoubleMerge() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/twice")
        let main = StreamName(object: object)
        try await run(test.store, main, "restock", ["qty": 10])
        let b = try BranchName("b")
        let branch = StreamName(object: object, branch: b)
        _ = try await test.store.createBranch(b, of: object)
        try await run(test.store, branch, "restock", ["qty": 1])
        try await run(test.store, branch, "restock", ["qty": 2])
        _ = try await test.store.createBranch(try BranchName("c"), of: object, from: b, at: 2)
        #expect(try await test.store.merge(b, into: main).mode == .fastForward)
        let back = try await test.store.merge(.main, into: branch)
        #expect(back.mode == nil, "main holds only b's own events")
        let throughFork = try await test.store.merge(try BranchName("c"), into: main)
        #expect(throughFork.mode == nil, "c's events are b's, already in main")
        #expect(try stock(test.store, main)["available"] == 13)

        // After a replayed merge, the copies in main are not brought back into the branch.
        try await run(test.store, main, "restock", ["qty": 100])
        try await run(test.store, branch, "restock", ["qty": 5])
        #expect(try await test.store.merge(b, into: main).mode == .replayed)
        let replayedBack = try await test.store.merge(.main, into: branch)
        #expect(replayedBack.mode == .replayed && replayedBack.events == 1, "only main's own restock of 100")
        #expect(try stock(test.store, branch)["available"] == 118 && stock(test.store, main)["available"] == 118)
    }

    @Test("a deleted branch's events stay in the log under NAME~deleted; a branch forked at 0 reads as empty")
    func deletedInLog() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/gone")
        try await run(test.store, StreamName(object: object), "restock", ["qty": 1])
        let x = try BranchName("x")
        _ = try await test.store.createBranch(x, of: object)
        try await run(test.store, StreamName(object: object, branch: x), "restock", ["qty": 2])
        try await test.store.deleteBranch(x, of: object)
        _ = try await test.store.createBranch(x, of: object)
        #expect(try test.store.wholeLog().map(\.branch) == ["main", "x~deleted"])
        _ = try await test.store.createBranch(try BranchName("blank"), of: object, at: 0)
        let page = try test.store.readStream(StreamName(object: object, branch: try BranchName("blank")), limit: 10) { _ in }
        #expect(page == StreamPage(version: 0, next: nil, count: 0))
    }
}
