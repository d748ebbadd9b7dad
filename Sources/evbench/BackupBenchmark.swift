import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections

/// Backups of a store the size users reach: a full one, an incremental one after it, the
/// restores of both, and what a backup taken while appending costs the appends.
struct BackupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Full and incremental backups of --events events, their restores, and appends/s while a backup runs.",
        discussion: """
            Writes --events events over --objects inventory objects (unless the folder holds \
            them), then: a full backup (MB/s of the store's file), --tail-events more events \
            and an incremental backup of them (events/s), a restore of the full backup and one \
            of the full backup plus the tail (events/s appended again); then appends/s of \
            --appenders callers for --seconds alone and while full backups run back to back \
            (median of --runs runs each).

            Examples:
              evbench backup --events 1000000 --tail-events 100000 --dir /tmp/bench-backup
            """)

    @Option(help: "Events in the store before the full backup.") var events = 1_000_000
    @Option(help: "Inventory objects they are spread over.") var objects = 1_000
    @Option(help: "Events appended after it, for the incremental backup.") var tailEvents = 100_000
    @Option(help: "Callers appending while backups run.") var appenders = 64
    @Option(help: "Seconds of each append measurement.") var seconds = 3.0
    @Option(help: "Runs of each append measurement (the median is printed).") var runs = 3
    @Option(help: "A data folder (a work folder beside it holds the backups).") var dir: String

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let work = dir + ".backups"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = try EventStore(configuration: StoreConfiguration(directory: dir), objectTypes: BundledTypes.all, holder: "evbench", logger: logger)
        let have = try store.statistics().lastPosition
        if have < UInt64(events) { try await fill(store, count: events - Int(have), first: Int(have)) }

        var start = ContinuousClock.now
        let full = try await store.backup(to: work + "/full")
        let fullSeconds = BenchmarkClock.seconds(since: start)
        try await fill(store, count: tailEvents, first: events)
        start = ContinuousClock.now
        let tail = try await store.backupTail(after: work + "/full", to: work + "/tail")
        let tailSeconds = BenchmarkClock.seconds(since: start)

        let idle = try await median { try await appendRate(store, whileBackingUp: nil) }
        let busy = try await median { try await appendRate(store, whileBackingUp: work) }
        await store.close()

        start = ContinuousClock.now
        _ = try EventStore.restore(from: work + "/full", into: work + "/restored")
        let restoreSeconds = BenchmarkClock.seconds(since: start)
        let restored = try EventStore(configuration: StoreConfiguration(directory: work + "/restored"), objectTypes: BundledTypes.all, holder: "evbench", logger: logger)
        start = ContinuousClock.now
        var restorer = try BackupTailRestorer(store: restored, restoredFrom: .full(full), through: nil)
        try await restorer.apply(work + "/tail")
        let applied = try await restorer.finish()
        let tailRestoreSeconds = BenchmarkClock.seconds(since: start)
        await restored.close()

        let megabytes = Double(full.bytes) / 1_048_576
        print(
            "backup events=\(full.position) store_mb=\(Int(megabytes)) compressed_mb=\(Int(Double(full.compressedBytes) / 1_048_576))"
                + " full_s=\(String(format: "%.2f", fullSeconds)) full_mb_per_s=\(Int(megabytes / fullSeconds))"
                + " tail_events=\(tail.events) tail_s=\(String(format: "%.2f", tailSeconds)) tail_events_per_s=\(Int(Double(tail.events) / tailSeconds))"
                + " tail_compressed_kb=\(tail.compressedBytes / 1024)"
                + " restore_s=\(String(format: "%.2f", restoreSeconds)) tail_restore_events_per_s=\(Int(Double(applied.events) / tailRestoreSeconds))"
                + " appends_per_s_idle=\(Int(idle)) appends_per_s_during_backup=\(Int(busy))")
    }

    private func median(_ measure: () async throws -> Double) async throws -> Double {
        var figures: [Double] = []
        for _ in 0..<runs { figures.append(try await measure()) }
        return figures.sorted()[figures.count / 2]
    }

    /// Appends/s of one-event appends by `appenders` callers for `seconds`, with full backups
    /// taken back to back under `whileBackingUp` meanwhile when given.
    private func appendRate(_ store: EventStore, whileBackingUp folder: String?) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let backups = Task {
            var n = 0
            while let folder, ContinuousClock.now < deadline {
                n += 1
                let target = folder + "/during-\(UUID().uuidString)"
                _ = try await store.backup(to: target)
                try? FileManager.default.removeItem(atPath: target)
            }
        }
        let start = ContinuousClock.now
        let appended = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<appenders {
                group.addTask {
                    var count = 0
                    let object = try ObjectKey(parsing: "account/load-\(caller)")
                    while ContinuousClock.now < deadline {
                        _ = try await store.append(try BenchmarkEvents.request(object: object, count: 1, first: count))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = BenchmarkClock.seconds(since: start)
        try await backups.value
        return Double(appended) / elapsed
    }

    /// Writes `count` events over the objects, 64 requests of up to 1,000 events in flight.
    private func fill(_ store: EventStore, count: Int, first: Int) async throws {
        let type = Array("Restocked".utf8)
        let objects = objects
        var written = 0
        while written < count {
            let round = min(count - written, 64 * 1_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for part in 0..<64 where part * 1_000 < round {
                    let size = min(1_000, round - part * 1_000)
                    let base = first + written + part * 1_000
                    group.addTask {
                        var batch = EventBatch()
                        for n in 0..<size {
                            let data = Array("{\"qty\":\((base + n) % 9 + 1),\"note\":\"restocked by the nightly replenishment job, pallet \(base + n)\"}".utf8)
                            try type.withUnsafeBytes { type in
                                try data.withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                            }
                        }
                        _ = try await store.append(AppendRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\((base / 1_000) % objects)")), events: batch))
                    }
                }
                try await group.waitForAll()
            }
            written += round
        }
    }
}
