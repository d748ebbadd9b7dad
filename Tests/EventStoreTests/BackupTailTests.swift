import EventModel
import EventStoreTesting
import Foundation
import Projections
import Testing
import Zstd

@testable import EventStore

/// Incremental backups: tails of the log after a backup, restored onto it up to any commit.
@Suite("Incremental backups and point-in-time restore")
struct BackupTailTests {
    /// Every event of the log as a line: position, tenant, object, branch (with `~deleted`),
    /// seq, id, type, data, metadata and time.
    static func log(_ store: EventStore, through last: Position = .max) throws -> [String] {
        var lines: [String] = []
        _ = try store.readLog(after: 0, limit: Int.max) { event, name in
            guard event.position <= last else { return }
            lines.append(
                "\(event.position) \(String(decoding: name.tenant, as: UTF8.self))|\(String(decoding: name.object, as: UTF8.self))@\(String(decoding: name.branch, as: UTF8.self)) \(event.seq) \(event.id) \(String(decoding: event.type, as: UTF8.self)) \(String(decoding: event.data, as: UTF8.self)) \(String(decoding: event.metadata, as: UTF8.self)) \(event.timeMilliseconds)"
            )
        }
        return lines
    }

    /// A store with history before and after a full backup and two tails: commands, appends of
    /// several events at once, forks, a branch deleted and made again, an object replaced by
    /// an import, another tenant's object.
    struct History {
        let test: TestStore
        let folders: TemporaryDirectory
        let full: BackupManifest
        let first: BackupTailManifest
        let second: BackupTailManifest
        /// An append of three events in one commit, in the second tail.
        let threeAt: AppendOutcome

        /// With `masterKey`, a sealing store, whose tails are sealed.
        let masterKey: [UInt8]?

        static func make(masterKey: [UInt8]? = nil) async throws -> History {
            let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = masterKey }
            let folders = TemporaryDirectory(prefix: "evlog-tails")
            let sku = try ObjectKey(parsing: "inventory/sku-1")
            func restock(_ key: ObjectKey, _ branch: BranchName = .main) async throws {
                test.clock.advance(byMilliseconds: 5)
                _ = try await test.store.run(CommandRequest(stream: StreamName(object: key, branch: branch), command: "restock", body: ["qty": 2]))
            }
            for _ in 0..<3 { try await restock(sku) }
            _ = try await test.store.append(TestEvents.deposits("account/a", count: 4))
            let full = try await test.store.backup(to: folders.path + "/full")

            let whatIf = try BranchName("what-if")
            _ = try await test.store.createBranch(whatIf, of: sku, at: 2)
            try await restock(sku, whatIf)
            try await restock(sku)
            try await test.store.deleteBranch(whatIf, of: sku)
            _ = try await test.store.createBranch(whatIf, of: sku, at: 4)
            try await restock(sku, whatIf)
            test.clock.advance(byMilliseconds: 5)
            var lines: [[UInt8]] = []
            _ = try await test.store.export(try ObjectKey(parsing: "account/a")) { lines.append($0) }
            var cursor = lines.makeIterator()
            _ = try await test.store.importObject(replacing: true) { cursor.next() }
            test.clock.advance(byMilliseconds: 5)
            _ = try await test.store.append(TestEvents.deposits("account/a", count: 2, from: 4))
            let acme = try ObjectKey(parsing: "inventory/sku-1", tenant: try Tenant("acme"))
            try await restock(acme)
            let first = try await test.store.backupTail(after: folders.path + "/full", to: folders.path + "/t1")

            try await restock(sku)
            test.clock.advance(byMilliseconds: 5)
            let threeAt = try await test.store.append(TestEvents.deposits("account/b", count: 3))
            try await restock(acme)
            try await restock(sku, whatIf)
            let second = try await test.store.backupTail(after: folders.path + "/t1", to: folders.path + "/t2")
            return History(test: test, folders: folders, full: full, first: first, second: second, threeAt: threeAt, masterKey: masterKey)
        }

        /// Restores the full backup and `tails` into a new folder, up to `point`.
        func restore(_ tails: [String], through point: RestorePoint? = nil, into name: String) async throws -> (EventStore, BackupTailRestore) {
            let data = folders.path + "/" + name
            _ = try EventStore.restore(from: folders.path + "/full", into: data)
            var configuration = StoreConfiguration(directory: data)
            configuration.masterKey = masterKey
            let store = try EventStore(configuration: configuration, objectTypes: BundledTypes.all, holder: "test", logger: quietLogger)
            do {
                var restorer = try BackupTailRestorer(store: store, restoredFrom: .full(full), through: point)
                for tail in tails { try await restorer.apply(folders.path + "/" + tail) }
                return (store, try await restorer.finish())
            } catch {
                await store.close()
                throw error
            }
        }

        func destroy() async {
            await test.destroy()
            folders.remove()
        }
    }

    @Test(
        "full + two tails gives the very log (positions, ids, branches deleted and made again, tenants), the same views, and verifies; sealed or not",
        arguments: [nil, [UInt8](repeating: 5, count: 32)])
    func wholeChain(masterKey: [UInt8]?) async throws {
        let history = try await History.make(masterKey: masterKey)
        #expect(history.first.basePosition == history.full.position && history.second.basePosition == history.first.position)
        #expect(history.second.position == history.test.store.commits.committedPosition)
        #expect(history.first.events == history.first.position - history.full.position)
        let (store, restored) = try await history.restore(["t1", "t2"], into: "whole")
        #expect(restored.position == history.second.position && restored.tails == 2)
        #expect(restored.events == history.first.events + history.second.events)
        let original = try Self.log(history.test.store)
        let copy = try Self.log(store)
        #expect(copy == original)
        #expect(original.contains { $0.contains("@what-if~deleted") } && original.contains { $0.contains("account/a@main~deleted") }, "deleted streams are in the tails")
        #expect(original.contains { $0.contains("acme|inventory/sku-1") } && original.count == Int(history.second.position))
        for (a, b) in zip(copy, original) where a != b { Issue.record("restored \(a)\n   original \(b)") }
        let sku = StreamName(object: try ObjectKey(parsing: "inventory/sku-1"), branch: try BranchName("what-if"))
        for view in BundledTypes.inventory.views {
            #expect(try store.readView(view, of: sku)?.state == history.test.store.readView(view, of: sku)?.state, "\(view.name)")
        }
        #expect(try store.verify().findings.isEmpty)
        await store.close()
        await history.destroy()
    }

    @Test(
        "a point in time: a position that ends a commit, or a time, restores that prefix of the log; one inside a commit is refused naming its bounds; sealed or not",
        arguments: [nil, [UInt8](repeating: 5, count: 32)])
    func pointInTime(masterKey: [UInt8]?) async throws {
        let history = try await History.make(masterKey: masterKey)
        let cut = history.threeAt.lastPosition
        let (store, restored) = try await history.restore(["t1", "t2"], through: .position(cut), into: "at-position")
        #expect(restored.position == cut)
        #expect(try Self.log(store) == Self.log(history.test.store, through: cut))
        #expect(try store.verify().findings.isEmpty)
        await store.close()

        let (byTime, timed) = try await history.restore(["t1", "t2"], through: .time(history.threeAt.timeMilliseconds), into: "at-time")
        #expect(timed.position == cut, "the commit at that time is the last one at or before it")
        await byTime.close()

        let inside = history.threeAt.firstPosition + 1
        let expected = EventStoreError.invalidRequest(
            field: "to-position",
            reason: "position \(inside) is inside a commit (positions \(history.threeAt.firstPosition)-\(cut) were committed together): restore to \(history.threeAt.firstPosition - 1) or \(cut)")
        await #expect(throws: expected) { _ = try await history.restore(["t1", "t2"], through: .position(inside), into: "inside") }
        await history.destroy()
    }

    @Test("a sealed tail holds no event data in the clear, and restores only with its master key")
    func sealedTail() async throws {
        let history = try await History.make(masterKey: [UInt8](repeating: 5, count: 32))
        defer { Task { await history.destroy() } }
        let plain = try await History.make()
        defer { Task { await plain.destroy() } }
        func tailText(_ history: History) throws -> String {
            let compressed = Array(try Data(contentsOf: URL(fileURLWithPath: history.folders.path + "/t1/" + BackupTailManifest.tailName)))
            var offset = 0
            var text: [UInt8] = []
            try ZstdDecompressor().decompressStream(
                read: { buffer in
                    let count = min(buffer.count, compressed.count - offset)
                    compressed.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
                    offset += count
                    return count
                }, write: { text += $0 })
            return String(decoding: text, as: UTF8.self)
        }
        #expect(try tailText(plain).contains(#""qty""#), "a plain tail shows the restocks' data")
        let sealed = try tailText(history)
        #expect(!sealed.contains(#""qty""#) && sealed.contains(#""sealed":"#) && sealed.contains(#""key":{"object":"#))
        let keyless = History(
            test: history.test, folders: history.folders, full: history.full, first: history.first, second: history.second, threeAt: history.threeAt,
            masterKey: [UInt8](repeating: 6, count: 32))
        await #expect(throws: EventStoreError.self) { _ = try await keyless.restore(["t1"], into: "other-key") }
    }

    @Test("a tail is refused, saying why, when retention compacted events committed after its base (it cannot hold them)")
    func compactedAfterBase() async throws {
        var types = BundledTypes.all
        types["inventory"]?.retention = RetentionPolicy(events: 4)
        let test = try TestStore.open(objectTypes: types) { $0.snapshotIntervalEvents = 2 }
        defer { Task { await test.destroy() } }
        let folders = TemporaryDirectory(prefix: "evlog-compacted-tail")
        defer { folders.remove() }
        let sku = StreamName(object: try ObjectKey(parsing: "inventory/sku-c"))
        for _ in 0..<3 { _ = try await test.store.run(CommandRequest(stream: sku, command: "restock", body: ["qty": 1])) }
        _ = try await test.store.backup(to: folders.path + "/full")
        _ = try await test.store.backupTail(after: folders.path + "/full", to: folders.path + "/before")
        for _ in 0..<12 { _ = try await test.store.run(CommandRequest(stream: sku, command: "restock", body: ["qty": 1])) }
        try await test.store.checkpoint()
        #expect(try await test.store.applyRetention().events > 3, "events after the full backup compacted")
        await #expect {
            _ = try await test.store.backupTail(after: folders.path + "/full", to: folders.path + "/t1")
        } throws: { error in
            guard case EventStoreError.invalidRequest(field: "after", let reason) = error else { return false }
            return reason.contains("retention compacted events committed after") && reason.contains("take a full backup")
        }
        #expect(!FileManager.default.fileExists(atPath: folders.path + "/t1/" + BackupTailManifest.tailName), "nothing half-written")
        // A full backup then, and tails after it, go on.
        _ = try await test.store.backup(to: folders.path + "/full-2")
        _ = try await test.store.run(CommandRequest(stream: sku, command: "restock", body: ["qty": 1]))
        #expect(try await test.store.backupTail(after: folders.path + "/full-2", to: folders.path + "/t2").events == 1)
    }

    @Test("tails out of order, or a full backup given as a tail, are refused before anything is appended")
    func brokenChain() async throws {
        let history = try await History.make()
        await #expect(throws: EventStoreError.self) { _ = try await history.restore(["t2"], into: "skipped") }
        let store = try EventStore(configuration: StoreConfiguration(directory: history.folders.path + "/skipped"), objectTypes: BundledTypes.all, holder: "test", logger: quietLogger)
        #expect(try Self.log(store).count == Int(history.full.position), "nothing of the tail was appended")
        await store.close()
        await #expect(throws: EventStoreError.self) { _ = try await history.restore(["full"], into: "full-as-tail") }
        await #expect(throws: EventStoreError.self) { _ = try await history.test.store.backupTail(after: history.folders.path + "/none", to: history.folders.path + "/t3") }
        await history.destroy()
    }

    @Test("a reaction restored from tails sends only what it had not sent: settled afterwards, the sagas end as in the store they came from, nothing twice")
    func reactionsOnce() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, reactions: BundledTypes.reactions)
        let folders = TemporaryDirectory(prefix: "evlog-tails")
        defer {
            folders.remove()
            Task { await test.destroy() }
        }
        func command(_ store: EventStore, _ object: String, _ name: String, _ body: JSONValue = [:]) async throws {
            test.clock.advance(byMilliseconds: 5)
            _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object)), command: name, body: body))
        }
        func place(_ order: String) async throws {
            try await command(test.store, "order/\(order)", "place", ["customerId": "c", "paymentSeconds": 600, "lines": [["sku": "a", "qty": 1], ["sku": "b", "qty": 1]]])
        }
        for sku in ["a", "b"] { try await command(test.store, "inventory/\(sku)", "restock", ["qty": 10]) }
        try await place("o-1")
        while try await test.store.runReactions() > 0 {}
        let full = try await test.store.backup(to: folders.path + "/full")
        try await place("o-2")
        // Part of o-2's saga runs: its first steps are in the tail, the rest are not yet sent.
        _ = try await test.store.runReactions(limit: 2)
        try await command(test.store, "order/o-1", "pay")
        try await place("o-3")
        let tail = try await test.store.backupTail(after: folders.path + "/full", to: folders.path + "/t1")

        let data = folders.path + "/restored"
        _ = try EventStore.restore(from: folders.path + "/full", into: data)
        let store = try EventStore(
            configuration: StoreConfiguration(directory: data), objectTypes: BundledTypes.all, reactions: BundledTypes.reactions, clock: test.clock, holder: "test",
            logger: quietLogger)
        var restorer = try BackupTailRestorer(store: store, restoredFrom: .full(full), through: nil)
        try await restorer.apply(folders.path + "/t1")
        let restored = try await restorer.finish()
        #expect(restored.position == tail.position)
        #expect(try restored.reactions["checkout"] == test.store.reactionPosition("checkout"), "moved to where the original had run")

        // Both decide with the same clock from here: what they send next is the same.
        while try await test.store.runReactions() > 0 {}
        while try await store.runReactions() > 0 {}
        func states(_ store: EventStore) throws -> [String] {
            try ["order/o-1", "order/o-2", "order/o-3", "checkout/o-1", "checkout/o-2", "checkout/o-3", "inventory/a", "inventory/b"].map { name in
                let key = try ObjectKey(parsing: name)
                let view = try #require(store.objectTypes[key.type.name]?.views.first)
                let read = try store.readView(view, of: StreamName(object: key))
                return "\(name)@\(read?.version ?? 0) \(String(decoding: read?.state ?? [], as: UTF8.self))"
            } + ["refusals \(try store.version(of: StreamName(object: try ObjectKey(parsing: "reaction/checkout"))))"]
        }
        let (restoredStates, originalStates) = (try states(store), try states(test.store))
        #expect(restoredStates == originalStates)
        for (a, b) in zip(restoredStates, originalStates) where a != b { Issue.record("restored \(a)\n   original \(b)") }
        #expect(try BackupTailTests.log(store).count == BackupTailTests.log(test.store).count, "the same number of events: nothing sent twice")
        await store.close()
    }
}
