import EventModel
import EventStoreTesting
import LMDB
import Projections
import Testing

@testable import EventStore

/// Merges keep every invariant, whatever path they take, and never bring an event into a line
/// that holds it already: through its lineage, a copy, a copy of a copy or a copy inherited from
/// a parent. Each case here is one that an earlier build got wrong.
@Suite("Merges: invariants on every path, nothing brought twice")
struct MergeTests {
    let view = BundledTypes.inventory.views[0]

    struct Object {
        let test: TestStore
        let key: ObjectKey

        func stream(_ branch: String) throws -> StreamName { StreamName(object: key, branch: try BranchName(branch)) }

        func run(_ branch: String, _ command: String, _ body: JSONValue) async throws {
            _ = try await test.store.run(CommandRequest(stream: try stream(branch), command: command, body: body))
        }

        func fork(_ branch: String, from parent: String = "main", at seq: Seq? = nil) async throws {
            _ = try await test.store.createBranch(try BranchName(branch), of: key, from: try BranchName(parent), at: seq)
        }

        func merge(_ source: String, into target: String) async throws -> MergeOutcome {
            try await test.store.merge(try BranchName(source), into: try stream(target))
        }

        func stock(_ branch: String) throws -> StockView.Summary {
            let read = try #require(try test.store.readView(BundledTypes.inventory.views[0], of: try stream(branch)))
            return try JSONValueDecoder().decode(StockView.Summary.self, from: try read.state.withUnsafeBytes { try JSONValue(parsing: $0) })
        }
    }

    func object(_ name: String) throws -> Object {
        Object(test: try TestStore.open(objectTypes: BundledTypes.all), key: try ObjectKey(parsing: "inventory/\(name)"))
    }

    @Test("after a replayed merge the lines differ: the next merge is checked and refused, never fast-forwarded below zero")
    func noFastForwardAfterReplay() async throws {
        let x = try object("ff-after-replay")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("b", at: 1)
        try await x.run("main", "adjust", ["delta": -8, "reason": "x"])
        try await x.run("b", "restock", ["qty": 1])
        #expect(try await x.merge("b", into: "main").mode == .replayed)
        try await x.run("b", "reserve", ["orderId": "o1", "qty": 11, "ttlSeconds": 86_400])
        let before = try x.test.store.allEvents(of: "inventory/ff-after-replay")
        let refusal = await #expect(throws: EventStoreError.self) { _ = try await x.merge("b", into: "main") }
        guard case .invariantBroken(let breach) = refusal else {
            Issue.record("expected an invariant breach, got \(String(describing: refusal))")
            return
        }
        #expect(breach.invariant == "available-non-negative" && breach.eventType == "Reserved" && breach.seq == 3)
        #expect(try x.test.store.allEvents(of: "inventory/ff-after-replay") == before, "nothing was written")
        #expect(try x.stock("main").available == 3)
    }

    @Test("a fast-forward is checked too: a branch whose raw appends broke an invariant is refused")
    func fastForwardChecked() async throws {
        let x = try object("ff-checked")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 2])
        try await x.fork("b")
        _ = try await x.test.store.append(try TestEvents.request("inventory/ff-checked", [("Adjusted", #"{"delta":-5,"reason":"raw"}"#)], branch: try BranchName("b")))
        await #expect(throws: EventStoreError.self) { _ = try await x.merge("b", into: "main") }
        #expect(try x.stock("main").available == 2)
    }

    @Test("a copy inherited from a parent counts as held: merging its original into a fork of the parent brings nothing")
    func inheritedCopy() async throws {
        let x = try object("inherited")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("b", at: 1)
        try await x.run("b", "restock", ["qty": 5])
        #expect(try await x.merge("b", into: "main").mode == .fastForward)
        try await x.fork("c")
        #expect(try await x.merge("b", into: "c").mode == nil)
        #expect(try x.stock("c").available == 15 && x.stock("main").available == 15)
    }

    @Test("two copies of one event are the same event: merging one branch holding a copy into another brings nothing")
    func twoCopies() async throws {
        let x = try object("two-copies")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("a", at: 1)
        try await x.fork("b", at: 1)
        try await x.run("main", "restock", ["qty": 5])
        _ = try await x.merge("main", into: "a")
        _ = try await x.merge("main", into: "b")
        #expect(try await x.merge("a", into: "b").mode == nil)
        #expect(try x.stock("b").available == 15)
    }

    @Test("a copy of a copy is the original: it never comes back to the line that holds the original")
    func copyOfCopy() async throws {
        let x = try object("copy-of-copy")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("a", at: 1)
        try await x.fork("b", at: 1)
        try await x.run("main", "restock", ["qty": 5])
        _ = try await x.merge("main", into: "a")
        _ = try await x.merge("a", into: "b")
        #expect(try await x.merge("b", into: "main").mode == nil)
        #expect(try x.stock("main").available == 15 && x.stock("b").available == 15)
    }

    @Test("fast-forward only when the target's line matches the branch's: after one, again; after a replay, never")
    func fastForwardRules() async throws {
        let x = try object("ff-rules")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("b")
        try await x.run("b", "restock", ["qty": 1])
        #expect(try await x.merge("b", into: "main").mode == .fastForward)
        try await x.run("b", "restock", ["qty": 2])
        #expect(try await x.merge("b", into: "main").mode == .fastForward, "main has not moved since the last fast-forward")
        #expect(try await x.merge("main", into: "b").mode == nil, "the two lines are the same")
        try await x.run("main", "restock", ["qty": 3])
        try await x.run("b", "restock", ["qty": 4])
        #expect(try await x.merge("b", into: "main").mode == .replayed)
        try await x.run("b", "restock", ["qty": 5])
        #expect(try await x.merge("b", into: "main").mode == .replayed, "main holds its own restock of 3: the lines differ")
        #expect(try await x.merge("main", into: "b").mode == .replayed)
        #expect(try x.stock("main").available == 25 && x.stock("b").available == 25)
        #expect(try await x.merge("main", into: "b").mode == nil)
        #expect(try await x.merge("b", into: "main").mode == nil)
    }

    @Test("two lines that reserved for the same order cannot be merged: reserved would no longer match the pending orders")
    func sameOrderTwice() async throws {
        let x = try object("same-order")
        defer { Task { await x.test.destroy() } }
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("b")
        try await x.run("main", "reserve", ["orderId": "o1", "qty": 2, "ttlSeconds": 600])
        try await x.run("b", "reserve", ["orderId": "o1", "qty": 3, "ttlSeconds": 600])
        let refusal = await #expect(throws: EventStoreError.self) { _ = try await x.merge("b", into: "main") }
        guard case .invariantBroken(let breach) = refusal else {
            Issue.record("expected an invariant breach, got \(String(describing: refusal))")
            return
        }
        #expect(breach.invariant == "reserved-matches-pending" && breach.eventType == "Reserved")
    }

    @Test("a store of format 1 is upgraded on open: chains of copies resolve to their root, old merge records are kept")
    func upgradeFromFormat1() async throws {
        let x = try object("upgrade")
        try await x.run("main", "restock", ["qty": 10])
        try await x.fork("a", at: 1)
        try await x.fork("b", at: 1)
        try await x.run("main", "restock", ["qty": 5])
        _ = try await x.merge("main", into: "a")
        _ = try await x.merge("a", into: "b")
        let original = try x.test.store.allEvents(of: "inventory/upgrade")[1].id
        let inA = try x.test.store.allEvents(of: "inventory/upgrade", branch: "a")[1].id
        let inB = try x.test.store.allEvents(of: "inventory/upgrade", branch: "b")[1].id
        let directory = x.test.store.configuration.directory
        await x.test.close()

        // Rewrite what format 2 wrote as format 1 kept it: each copy's immediate original.
        let environment = try Environment(configuration: .init(directory: directory, databaseNames: StoreLayout.databaseNames))
        let layout = StoreLayout(environment)
        try environment.write { transaction in
            var keys: [[UInt8]] = []
            try transaction.withCursor(layout.merges) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    keys.append(Array(current.key))
                    entry = try cursor.next()
                }
            }
            for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.merges, key: $0) } }
            for (copy, of) in [(inA, original), (inB, inA)] {
                var key = Array("origin".utf8)
                withUnsafeBytes(of: (copy.high.bigEndian, copy.low.bigEndian)) { key.append(contentsOf: $0) }
                var value = (of.high.bigEndian, of.low.bigEndian)
                try key.withUnsafeBytes { key in try withUnsafeBytes(of: &value) { try transaction.put(layout.meta, key: key, value: $0) } }
            }
            try Array("format".utf8).withUnsafeBytes { key in try StoreKeys.withKey(1) { try transaction.put(layout.meta, key: key, value: $0) } }
        }
        environment.close()

        let reopened = Object(test: try x.test.reopened(), key: x.key)
        defer { Task { await reopened.test.destroy() } }
        #expect(try await reopened.merge("b", into: "main").mode == nil, "b's copy of a copy is main's own restock")
        #expect(try reopened.stock("main").available == 15)
    }
}
