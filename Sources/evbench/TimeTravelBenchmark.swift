import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections

/// Forks, cold starts and reads as of a point, on an object with a million events.
struct TimeTravelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "time-travel",
        abstract: "Fork cost at 10 and N events, first view read after a cold start, as-of reads at random seqs.",
        discussion: """
            Writes an inventory object with --events Restocked events (views folded and \
            snapshotted every 1,000 events as they are appended) and one with 10, unless the \
            folder holds them already. Then: --forks forks of each at random seqs (each one \
            durable, through the writer), the first stock read after reopening the store \
            (--restarts times; with --drop-caches, from a cold page cache), and --reads stock \
            reads as of random seqs. Prints medians and p99.

            Examples:
              evbench time-travel --events 1000000 --dir /tmp/bench-tt
            """)

    @Option(help: "Events of the big object.") var events = 1_000_000
    @Option(help: "Forks of each object.") var forks = 200
    @Option(help: "Cold starts.") var restarts = 9
    @Option(help: "As-of reads.") var reads = 500
    @Option(help: "A data folder.") var dir: String
    @Flag(help: "Drop the kernel's page cache before each cold start (root only), so the first read comes from the disk.")
    var dropCaches = false

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let open = { try EventStore(configuration: StoreConfiguration(directory: dir), objectTypes: BundledTypes.all, holder: "evbench", logger: logger) }
        var store = try open()
        let big = StreamName(object: try ObjectKey(parsing: "inventory/big"))
        let small = StreamName(object: try ObjectKey(parsing: "inventory/small"))
        try await fill(store, big, events)
        try await fill(store, small, 10)
        let view = BundledTypes.inventory.views[0]

        var generator = SystemRandomNumberGenerator()
        let run = UInt32.random(in: 0...UInt32.max, using: &generator)
        var forkSeconds: [String: [Double]] = [:]
        for round in 0..<forks {
            for (name, stream, head) in [("small", small, UInt64(10)), ("big", big, UInt64(events))] {
                let at = UInt64.random(in: 1...head, using: &generator)
                let start = ContinuousClock.now
                _ = try await store.createBranch(try BranchName("f\(run)-\(round)"), of: stream.object, at: at)
                forkSeconds[name, default: []].append(BenchmarkClock.seconds(since: start))
            }
        }

        var coldSeconds: [Double] = []
        var openSeconds: [Double] = []
        for _ in 0..<restarts {
            await store.close()
            if dropCaches { try Self.dropPageCache() }
            let start = ContinuousClock.now
            store = try open()
            openSeconds.append(BenchmarkClock.seconds(since: start))
            let read = ContinuousClock.now
            guard try store.readView(view, of: big) != nil else { throw ValidationError("no stock view") }
            coldSeconds.append(BenchmarkClock.seconds(since: read))
        }

        var asOfSeconds: [Double] = []
        for _ in 0..<reads {
            let seq = UInt64.random(in: 1...UInt64(events), using: &generator)
            let start = ContinuousClock.now
            guard let read = try store.readView(view, of: big, at: .seq(seq)), read.version == seq else { throw ValidationError("as-of read failed") }
            asOfSeconds.append(BenchmarkClock.seconds(since: start))
        }
        await store.close()

        let micro = { (values: [Double], fraction: Double) in Int(BenchmarkClock.percentile(values, fraction) * 1e6) }
        let forkSmall = forkSeconds["small"] ?? [], forkBig = forkSeconds["big"] ?? []
        print(
            "time-travel events=\(events) cold_caches=\(dropCaches) fork_small_us=\(micro(forkSmall, 0.5)) fork_big_us=\(micro(forkBig, 0.5))"
                + " fork_ratio=\(String(format: "%.2f", BenchmarkClock.percentile(forkBig, 0.5) / BenchmarkClock.percentile(forkSmall, 0.5)))"
                + " open_us=\(micro(openSeconds, 0.5)) cold_view_us=\(micro(coldSeconds, 0.5)) cold_view_max_us=\(micro(coldSeconds, 1))"
                + " asof_us=\(micro(asOfSeconds, 0.5)) asof_p99_us=\(micro(asOfSeconds, 0.99))")
    }

    /// Syncs and drops the kernel's page cache (`/proc/sys/vm/drop_caches`).
    private static func dropPageCache() throws {
        sync()
        guard let handle = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") else {
            throw ValidationError("--drop-caches needs root (cannot open /proc/sys/vm/drop_caches)")
        }
        handle.write(Data("3\n".utf8))
        try handle.close()
    }

    /// Appends `Restocked` events to `stream` until it has `count`, a thousand per request.
    private func fill(_ store: EventStore, _ stream: StreamName, _ count: Int) async throws {
        var written = Int(try store.version(of: stream))
        let type = Array("Restocked".utf8)
        while written < count {
            var batch = EventBatch()
            for _ in 0..<min(1_000, count - written) {
                let data = Array("{\"qty\":1,\"note\":\"bench\"}".utf8)
                try type.withUnsafeBytes { type in
                    try data.withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                }
            }
            written += batch.count
            _ = try await store.append(AppendRequest(stream: stream, events: batch))
        }
    }
}
