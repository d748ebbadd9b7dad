import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

@Suite("Export and import of an object with its branches")
struct ArchiveTests {
    /// Every branch's events and views, as read, without positions (they are the store's own).
    func reads(_ store: EventStore, _ object: ObjectKey) throws -> [String] {
        var lines: [String] = []
        for branch in try store.branches(of: object) {
            lines.append("branch \(branch.name) parent \(branch.parent?.name ?? "-") fork \(branch.forkSeq) head \(branch.head)")
            for event in try store.allEvents(of: object.description, branch: branch.name.name) {
                lines.append("\(event.seq) \(event.id) \(event.type) \(event.data) \(event.metadata) \(event.timeMilliseconds)")
            }
            for view in BundledTypes.inventory.views {
                let read = try #require(try store.readView(view, of: StreamName(object: object, branch: branch.name)))
                lines.append("\(view.name)@\(read.version) \(String(decoding: read.state, as: UTF8.self))")
            }
        }
        return lines
    }

    @Test("export then import into an empty data folder gives identical reads; an existing object is refused unless replaced")
    func roundTrip() async throws {
        let source = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 8 }
        defer { Task { await source.destroy() } }
        let object = try ObjectKey(parsing: "inventory/travel")
        let main = StreamName(object: object)
        var generator = SplitMix64(seed: 7)
        for step in 0..<30 {
            let qty = Double(Int.random(in: 1...4, using: &generator))
            _ = try? await source.store.run(
                CommandRequest(stream: main, command: step % 3 == 0 ? "reserve" : "restock", body: ["orderId": .string("o\(step)"), "qty": .number(qty)]))
            source.clock.advance(byMilliseconds: 500)
        }
        _ = try await source.store.append(try TestEvents.request("inventory/travel", [("Noted", #"{"text":"hi"}"#)]))
        _ = try await source.store.createBranch(try BranchName("a"), of: object, at: 12)
        _ = try await source.store.run(CommandRequest(stream: StreamName(object: object, branch: try BranchName("a")), command: "restock", body: ["qty": 9]))
        _ = try await source.store.createBranch(try BranchName("a-1"), of: object, from: try BranchName("a"), at: 13)
        _ = try await source.store.createBranch(try BranchName("empty"), of: object, at: 3)
        // A branch of a branch that has no events of its own: the parent is created first on import.
        _ = try await source.store.createBranch(try BranchName("empty-child"), of: object, from: try BranchName("empty"))
        _ = try await source.store.run(
            CommandRequest(stream: StreamName(object: object, branch: try BranchName("empty-child")), command: "restock", body: ["qty": 2]))

        var lines: [[UInt8]] = []
        let exported = try await source.store.export(object) { lines.append($0) }
        #expect(exported == lines.count - 1)

        let target = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await target.destroy() } }
        // Its clock must not be behind the commit times it imports.
        target.clock.advance(byMilliseconds: 60_000)
        var cursor = lines.makeIterator()
        let (imported, count) = try await target.store.importObject { cursor.next() }
        #expect(imported == object && count == exported)
        let expected = try reads(source.store, object)
        let actual = try reads(target.store, object)
        #expect(actual == expected)
        for (a, e) in zip(actual, expected) where a != e { Issue.record("imported \(a)\n    source \(e)") }

        cursor = lines.makeIterator()
        await #expect(throws: EventStoreError.branchExists(main)) { _ = try await target.store.importObject { cursor.next() } }
        cursor = lines.makeIterator()
        _ = try await target.store.importObject(replacing: true) { cursor.next() }
        #expect(try reads(target.store, object) == expected)
    }

    @Test("an archive imports into the tenant asked for (its ids are that tenant's), and one naming another object than expected writes nothing")
    func tenantsAndExpected() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/sku-t")
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: object), command: "restock", body: ["qty": 4]))
        var lines: [[UInt8]] = []
        _ = try await test.store.export(object) { lines.append($0) }
        let acme = try Tenant("acme")
        var cursor = lines.makeIterator()
        let (imported, count) = try await test.store.importObject(into: acme, expecting: try ObjectKey(parsing: "inventory/sku-t", tenant: acme)) { cursor.next() }
        #expect(imported == (try ObjectKey(parsing: "inventory/sku-t", tenant: acme)) && count == 1)
        let view = BundledTypes.inventory.views[0]
        let copied = try #require(try test.store.readView(view, of: StreamName(object: imported)))
        let original = try #require(try test.store.readView(view, of: StreamName(object: object)))
        #expect(copied.version == 1 && copied.state == original.state)
        let other = try ObjectKey(parsing: "inventory/sku-other")
        cursor = lines.makeIterator()
        await #expect(throws: ObjectArchive.ArchiveError(line: 1, reason: "the archive holds inventory/sku-t, not inventory/sku-other")) {
            _ = try await test.store.importObject(expecting: other, replacing: true) { cursor.next() }
        }
        #expect(try test.store.branches(of: other).isEmpty)
    }

    @Test("a damaged archive is refused with its line number")
    func damaged() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let header = #"{"format":"evlog-object","version":1,"object":"inventory/x","branches":[{"name":"main","parent":null,"forkSeq":0,"head":2}]}"#
        let event1 = #"{"branch":"main","event":{"seq":1,"id":"019b76da-a800-77f5-8f0c-0fda07177b1e","type":"Restocked","data":{"qty":1},"metadata":{},"time":5}}"#
        let event3 = #"{"branch":"main","event":{"seq":3,"id":"019b76da-a800-77f5-8f0c-0fda07177b1f","type":"Restocked","data":{"qty":1},"metadata":{},"time":6}}"#
        for (lines, expected) in [
            ([header, event1, event3], ObjectArchive.ArchiveError(line: 3, reason: "main seq 3 is out of order; expected 2 (head 2)")),
            ([#"{"format":"other"}"#], ObjectArchive.ArchiveError(line: 1, reason: "not an evlog-object archive (format is missing or other)")),
            ([header, event1], ObjectArchive.ArchiveError(line: 0, reason: "main ends at seq 1 but the header says its head is 2")),
            ([header, event1.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":-1")], ObjectArchive.ArchiveError(line: 2, reason: "main seq -1 is out of order; expected 1 (head 2)")),
            ([header, event1.replacingOccurrences(of: "\"time\":5", with: "\"time\":9999999999999")],
             ObjectArchive.ArchiveError(line: 2, reason: "time 9999999999999 is in the future (now is 1767225600000)")),
        ] {
            var cursor = lines.map { Array($0.utf8) }.makeIterator()
            await #expect(throws: expected) { _ = try await test.store.importObject(replacing: true) { cursor.next() } }
        }
    }
}

@Suite("Unusable snapshots are ignored, logged and replaced")
struct SnapshotRepairTests {
    @Test("a snapshot with a flipped byte is skipped by a read as of a later seq and written again")
    func flippedByte() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        defer { Task { await test.destroy() } }
        let stream = StreamName(object: try ObjectKey(parsing: "inventory/flip"))
        for _ in 0..<10 { _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 1])) }
        let view = BundledTypes.inventory.views[0]
        let key = try test.store.environment.read { transaction in try #require(try test.store.layout.streamNumber(stream.storageKey, in: transaction)) }
        func snapshotBytes() throws -> [UInt8]? {
            try test.store.environment.read { transaction in
                try SnapshotKeys.withKey(stream: key, name: view.name, seq: 8) { try transaction.get(test.store.layout.snapshots, key: $0).map(Array.init) }
            }
        }
        // Snapshots are written off the commit path (with the live object's checkpoint): wait for it.
        var written = try snapshotBytes()
        for _ in 0..<200 where written == nil {
            try await Task.sleep(for: .milliseconds(10))
            written = try snapshotBytes()
        }
        let original = try #require(written)
        var damaged = original
        damaged[damaged.count - 3] ^= 0x40
        try test.store.environment.write { transaction in
            try SnapshotKeys.withKey(stream: key, name: view.name, seq: 8) { key in
                try damaged.withUnsafeBytes { try transaction.put(test.store.layout.snapshots, key: key, value: $0) }
            }
        }
        let read = try #require(try test.store.readView(view, of: stream, at: .seq(9)))
        #expect(try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }["available"] == 9, "folded from the snapshot at 4")
        // The repair goes through the writer; wait for it.
        var repaired: [UInt8]?
        for _ in 0..<200 {
            repaired = try snapshotBytes()
            if repaired == original { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(repaired == original, "the snapshot at 8 was written again, byte for byte")
    }
}
