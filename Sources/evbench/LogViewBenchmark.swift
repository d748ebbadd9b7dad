import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections
import Synchronization

/// Keyed cross-object views at scale: a top-10 read of `low-stock` over a million rows, and how
/// far the bundled views fall behind the log while it takes appends at a steady rate.
struct LogViewBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-views",
        abstract: "Time top-10 reads of low-stock over --rows rows, and the bundled views' lag at --rate appends/s.",
        discussion: """
            Makes --rows inventory objects with one ReorderPointSet event each (kept when the \
            folder holds them already; every one \
            short: low-stock holds --rows rows, all in its order) and folds the four bundled \
            cross-object views to the head (timed). Then reads the top 10 by shortfall --reads \
            times (and a page after a random place). Then, in the store opened again, appends \
            Restocked events to random SKUs at --rate events/s (requests of 10) for --seconds \
            while the views are folded as a server folds them (stored once a second), sampling \
            the largest view lag every 10 ms, and the writer's commits (events, time).

            Examples:
              evbench log-views --rows 1000000 --dir /tmp/bench-log-views
            """)

    @Option(help: "SKUs, so rows of low-stock.") var rows = 1_000_000
    @Option(help: "Top-10 reads timed.") var reads = 1_000
    @Option(help: "Events appended per second while the lag is sampled.") var rate = 100_000
    @Option(help: "Seconds of appends while the lag is sampled.") var seconds = 10
    @Option(help: "SKUs the appends while the lag is sampled go to, at random.") var hot = 10_000
    @Option(help: "Milliseconds between a view's writes while the lag is sampled (the server's: 1000).") var writeInterval: Int64 = 1_000
    @Option(help: "A data folder.") var dir: String

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let commits = CommitRecorder()
        let open = {
            try EventStore(
                configuration: StoreConfiguration(directory: dir), objectTypes: BundledTypes.all, logViews: BundledTypes.logViews, holder: "evbench",
                logger: logger, observer: commits)
        }
        let store = try open()
        let fillStart = ContinuousClock.now
        let total = rows
        // A folder that holds the SKUs already (an earlier run) is used as it is.
        let existing = try store.objectTypeCounts().first { $0.type == "inventory" }?.objects ?? 0
        if existing < UInt64(rows) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<64 {
                    group.addTask {
                        var index = appender
                        var generator = SplitMix64(seed: UInt64(appender))
                        while index < total {
                            var batch = EventBatch()
                            let data = Array("{\"point\":\(Int.random(in: 1...1_000, using: &generator))}".utf8)
                            try Array("ReorderPointSet".utf8).withUnsafeBytes { type in
                                try data.withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                            }
                            _ = try await store.append(AppendRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(index)")), events: batch))
                            index += 64
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let fillSeconds = BenchmarkClock.seconds(since: fillStart)
        let foldStart = ContinuousClock.now
        var folded = 0
        while true {
            let step = try await store.catchUpLogViews(writeIntervalMilliseconds: 1_000)
            folded += step
            if step == 0 { break }
        }
        try await store.catchUpLogViews(limit: 0)
        let foldSeconds = BenchmarkClock.seconds(since: foldStart)

        // Top 10, from the start of the order and from a random place in it.
        var topSeconds: [Double] = []
        var pageSeconds: [Double] = []
        var generator = SystemRandomNumberGenerator()
        var listed = 0
        for _ in 0..<reads {
            let start = ContinuousClock.now
            guard case .rows(let page)? = try store.readLogView("low-stock", LogViewQuery(.ordered(descending: true, after: nil, limit: 10))) else {
                throw ValidationError("low-stock answered no rows")
            }
            topSeconds.append(BenchmarkClock.seconds(since: start))
            listed = page.rows.count
            let after = LogViewOrderCursor(sortKey: Int64.random(in: 1...1_000, using: &generator), key: "sku-\(Int.random(in: 0..<rows, using: &generator))")
            let pageStart = ContinuousClock.now
            _ = try store.readLogView("low-stock", LogViewQuery(.ordered(descending: true, after: after, limit: 10)))
            pageSeconds.append(BenchmarkClock.seconds(since: pageStart))
        }

        // The lag at a steady append rate, the views folded as the server folds them (on a
        // thread of their own), in a server started again, as one that has run a while is:
        // not with the million objects the fill left in memory to checkpoint and evict while
        // it runs, nor with the kernel writing out the gigabytes the fill left dirty.
        await store.close()
        sync()
        let running = try open()
        let stop = StopFlag()
        let folder = LogViewFolder(store: running, writeIntervalMilliseconds: writeInterval)
        let folding = Task { await folder.run(folded: {}, failed: { _ in }) }
        let sampler = Task {
            var lags: [Double] = []
            while !stop.isSet {
                lags.append(Double(try running.logViewLag().values.max() ?? 0))
                try await Task.sleep(for: .milliseconds(10))
            }
            return lags
        }
        let appendStart = ContinuousClock.now
        let startPosition = running.commits.committedPosition
        commits.start()
        // Appenders each keep their share of the rate, a request of `batch` events at a time,
        // at random moments around it (as independent clients would), catching up when a commit
        // made them late.
        let appenders = 128
        let batch = 10
        let interval = Duration.seconds(Double(appenders * batch) / Double(rate))
        let end = appendStart + .seconds(seconds)
        let hot = min(hot, rows)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    var local = SplitMix64(seed: UInt64(appender) &+ 7_919)
                    var due = appendStart + interval * Double(appender) / Double(appenders)
                    while due < end {
                        if ContinuousClock.now < due { try await Task.sleep(until: due) }
                        var events = EventBatch()
                        for _ in 0..<batch {
                            try Array("Restocked".utf8).withUnsafeBytes { type in
                                try Array("{\"qty\":1}".utf8).withUnsafeBytes { try events.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                            }
                        }
                        let sku = "inventory/sku-\(Int.random(in: 0..<hot, using: &local))"
                        _ = try await running.append(AppendRequest(stream: StreamName(object: try ObjectKey(parsing: sku)), events: events))
                        due += interval * Double.random(in: 0.5...1.5, using: &local)
                    }
                }
            }
            try await group.waitForAll()
        }
        let appendSeconds = BenchmarkClock.seconds(since: appendStart)
        let appended = running.commits.committedPosition - startPosition
        let batches = commits.stop()
        stop.set()
        let lags = try await sampler.value
        folder.stop()
        await folding.value
        try await running.catchUpLogViews(limit: 0)
        await running.close()
        let micro = { (values: [Double], fraction: Double) in Int(BenchmarkClock.percentile(values, fraction) * 1e6) }
        print(
            "log-views rows=\(rows) listed=\(listed) fill_s=\(String(format: "%.1f", fillSeconds)) fold_events=\(folded) fold_s=\(String(format: "%.1f", foldSeconds))"
                + " top10_us=\(micro(topSeconds, 0.5)) top10_p99_us=\(micro(topSeconds, 0.99)) page_us=\(micro(pageSeconds, 0.5))"
                + " rate=\(Int(Double(appended) / appendSeconds)) target_rate=\(rate) lag_p50=\(Int(BenchmarkClock.percentile(lags, 0.5))) lag_p99=\(Int(BenchmarkClock.percentile(lags, 0.99)))"
                + " lag_max=\(Int(lags.max() ?? 0)) samples=\(lags.count) commit_events_p50=\(Int(BenchmarkClock.percentile(batches.events, 0.5)))"
                + " commit_events_p99=\(Int(BenchmarkClock.percentile(batches.events, 0.99))) commit_ms_p50=\(String(format: "%.1f", BenchmarkClock.percentile(batches.seconds, 0.5) * 1e3))"
                + " commit_ms_p99=\(String(format: "%.1f", BenchmarkClock.percentile(batches.seconds, 0.99) * 1e3))")
    }
}

/// The writer's batches while the lag is sampled: events per commit (what the views trail the
/// log by, at least, right after one lands) and the time each took.
private final class CommitRecorder: StoreObserver {
    private struct Batches {
        var isRecording = false
        var events: [Double] = []
        var seconds: [Double] = []
    }

    private let batches = Mutex(Batches())

    func batchFinished(requests: Int, events: Int, commitSeconds: Double, waitSeconds: Double) {
        batches.withLock { batches in
            guard batches.isRecording else { return }
            batches.events.append(Double(events))
            batches.seconds.append(commitSeconds)
        }
    }

    func start() { batches.withLock { $0.isRecording = true } }

    /// Stops recording; what was recorded.
    func stop() -> (events: [Double], seconds: [Double]) {
        batches.withLock { batches in
            batches.isRecording = false
            return (batches.events, batches.seconds)
        }
    }
}

/// A flag the benchmark's tasks poll to stop.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
