import EventModel
import EventStoreTesting
import Foundation
import Projections
import Synchronization
import Testing

@testable import EventStore

/// Backups taken while appends go on, and restores checked against what was acknowledged.
@Suite("Backup and restore: a consistent copy while serving, checked before it is restored")
struct BackupTests {
    @Test("a backup taken while appends run holds exactly the events up to its position; restored, it verifies")
    func whileAppending() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let folders = TemporaryDirectory(prefix: "evlog-backup")
        defer {
            folders.remove()
            Task { await test.destroy() }
        }
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-1")), command: "restock", body: ["qty": 5]))
        let shared = AppendersState()
        let appenders = (0..<4).map { appender in
            Task {
                var n = 0
                while shared.running.withLock({ $0 }) {
                    let outcome = try await test.store.append(TestEvents.deposits("account/a-\(appender)", count: 3, from: n))
                    let events = try test.store.allEvents(of: "account/a-\(appender)").filter { $0.position >= outcome.firstPosition }.prefix(3)
                    shared.acknowledged.withLock { for event in events { $0[event.position] = event.id } }
                    n += 3
                }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let manifest = try await test.store.backup(to: folders.path + "/b1")
        try await Task.sleep(for: .milliseconds(50))
        shared.running.withLock { $0 = false }
        for appender in appenders { try await appender.value }
        #expect(manifest.position > 1)
        #expect(test.store.commits.committedPosition > manifest.position, "appends went on during and after the copy")

        let restored = folders.path + "/restored"
        #expect(try EventStore.restore(from: folders.path + "/b1", into: restored) == manifest)
        let store = try EventStore(configuration: StoreConfiguration(directory: restored), objectTypes: BundledTypes.all, holder: "test")
        var log: [Position: EventID] = [:]
        _ = try store.readLog(after: 0, limit: Int.max) { event, _ in log[event.position] = event.id }
        #expect(log.keys.max() == manifest.position && log.count == Int(manifest.position), "dense, ending at the manifest's position")
        let before = shared.acknowledged.withLock { $0.filter { $0.key <= manifest.position } }
        #expect(!before.isEmpty && before.allSatisfy { log[$0.key] == $0.value }, "every event acknowledged at or before it, as acknowledged")
        #expect(try store.verify().findings.isEmpty)
        await store.close()
    }

    @Test("a damaged copy is refused before anything is written; a folder holding a store is not restored into; a backup needs a new or empty folder")
    func refusals() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let folders = TemporaryDirectory(prefix: "evlog-backup")
        defer {
            folders.remove()
            Task { await test.destroy() }
        }
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 10))
        let backup = folders.path + "/b1"
        _ = try await test.store.backup(to: backup)
        await #expect(throws: EventStoreError.self, "not into a folder that holds a backup") { _ = try await test.store.backup(to: backup) }

        // Into a folder holding a store: refused.
        #expect(throws: EventStoreError.self) { _ = try EventStore.restore(from: backup, into: test.directory.path + "/data") }
        // A byte of the copy flipped: refused, and nothing written.
        let copy = backup + "/data.mdb.zst"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        let target = folders.path + "/restored"
        #expect(throws: EventStoreError.self) { _ = try EventStore.restore(from: backup, into: target) }
        #expect(!FileManager.default.fileExists(atPath: target + "/data.mdb"))
        #expect(!FileManager.default.fileExists(atPath: target + "/data.mdb.partial"))
        #expect(throws: EventStoreError.self, "not a backup") { _ = try EventStore.restore(from: folders.path, into: target) }
    }
}

extension BackupTests {
    @Test("compaction keeps every event and view and never grows the file; a folder another process holds is refused")
    func compaction() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        for n in 0..<40 {
            _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(n % 4)")), command: "restock", body: ["qty": 2]))
            _ = try await test.store.append(TestEvents.deposits("account/a-\(n)", count: 50))
        }
        for n in 0..<10 {
            let key = try ObjectKey(parsing: "account/a-\(n)")
            _ = try await test.store.createBranch(try BranchName("b"), of: key)
            try await test.store.deleteBranch(try BranchName("b"), of: key)
        }
        #expect(throws: EventStoreError.self, "held by the open store") { _ = try EventStore.compact(directory: test.directory.path + "/data") }
        let before = try test.store.wholeLog()
        await test.close()
        let sizes = try EventStore.compact(directory: test.directory.path + "/data")
        #expect(sizes.after <= sizes.before)
        let reopened = try test.reopened()
        #expect(try reopened.store.wholeLog() == before)
        #expect(try reopened.store.verify().findings.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: test.directory.path + "/data/compacting"))
        await reopened.close()
    }
}

/// What the appenders of ``BackupTests/whileAppending()`` share: whether to go on, and each
/// acknowledged event's position and id.
private final class AppendersState: Sendable {
    let running = Mutex(true)
    let acknowledged = Mutex<[Position: EventID]>([:])
}
