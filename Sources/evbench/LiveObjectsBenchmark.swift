import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections

/// The workloads of live objects, on objects the size users reach: commands on one SKU with
/// many pending orders, a fleet of buildings ingesting readings, a big document being edited.
struct LiveObjectsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Commands on big objects: reserve on one SKU, building ingest, document edits.",
        discussion: """
            reserve: one SKU is given --pending pending reservations (appended in bulk), then \
            --callers tasks send reserve commands for --seconds, --runs times; prints the median \
            rate (and each run's), checks that nothing was oversold, then reopens the store and \
            times the first command on the cold SKU (median of --cold-runs reopenings).
            ingest: --buildings buildings of --sensors sensors record a reading per sensor per \
            simulated minute, in commands of --readings-per-command, for --hours simulated \
            hours; one task per building, and one more appending single events to an unrelated \
            object, whose latency is reported. Prints readings/s overall, in the first and in \
            the last simulated hour.
            document: one document gets --blocks blocks (appended in bulk), then --callers \
            tasks send updateBlock for --seconds; then one block is read --reads times.
            Every workload prints the live objects' budget (--live-bytes-max), the peak of the \
            process's anonymous memory (RssAnon: heap and stacks, what the budget bounds) and its \
            resident set at the end (VmRSS, which adds the pages of LMDB's map).

            Examples:
              evbench live reserve --pending 100000 --seconds 5 --dir /tmp/live-r
              evbench live ingest --hours 2 --dir /tmp/live-i
              evbench live document --blocks 10000 --seconds 5 --dir /tmp/live-d
            """)

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case reserve, ingest, document
    }

    @Argument(help: "reserve, ingest or document.") var workload: Workload
    @Option(help: "reserve: pending reservations before the run.") var pending = 0
    @Option(help: "reserve, document: concurrent callers.") var callers = 256
    @Option(help: "reserve, document: seconds of load.") var seconds = 5.0
    @Option(help: "reserve: load windows of --seconds; the median rate is printed.") var runs = 1
    @Option(help: "reserve: reopenings of the store, each timing the first command on the cold SKU.") var coldRuns = 5
    @Option(help: "The live objects' memory budget, bytes.") var liveBytesMax = LiveConfiguration().bytesMax
    @Option(help: "ingest: buildings.") var buildings = 10
    @Option(help: "ingest: sensors per building.") var sensors = 1_000
    @Option(help: "ingest: readings per record command.") var readingsPerCommand = 500
    @Option(help: "ingest: simulated hours (a reading per sensor per minute).") var hours = 24
    @Option(help: "document: blocks before the run.") var blocks = 10_000
    @Option(help: "document: block reads timed.") var reads = 1_000
    @Option(help: "A data folder (emptied first).") var dir: String
    @Flag(help: "Print progress (per simulated hour) on standard error.") var verbose = false

    /// The memory figures every workload ends its line with.
    private func memoryFields(_ memory: ResidentMemory) -> String {
        " live_bytes_max_mb=\(liveBytesMax >> 20) rss_anon_peak_mb=\(memory.peakAnonymousMegabytes) rss_mb=\(ResidentMemory.residentMegabytes)"
    }

    func run() async throws {
        try? FileManager.default.removeItem(atPath: dir)
        let memory = ResidentMemory()
        switch workload {
        case .reserve: try await reserve(memory)
        case .ingest: try await ingest(memory)
        case .document: try await document(memory)
        }
    }

    private func open(_ counter: BatchCounter? = nil) throws -> EventStore {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        var configuration = StoreConfiguration(directory: dir)
        configuration.limits.requestBytesMax = 64 << 20
        configuration.live.bytesMax = liveBytesMax
        return try EventStore(configuration: configuration, objectTypes: BundledTypes.all, holder: "evbench", logger: logger, observer: counter)
    }

    /// Appends `count` events to `stream`, 5,000 per request: event `i` is `event(i)`, a type and
    /// its data as JSON, made as the request is built (a million of them are never held at once).
    private static func bulk(_ store: EventStore, _ stream: StreamName, count: Int, _ event: (Int) -> (type: String, data: String)) async throws {
        var index = 0
        while index < count {
            var batch = EventBatch(limits: store.configuration.limits)
            for number in index..<min(count, index + 5_000) {
                var (type, data) = event(number)
                try type.withUTF8 { type in
                    try data.withUTF8 { data in
                        try batch.add(id: nil, type: UnsafeRawBufferPointer(type), data: UnsafeRawBufferPointer(data), metadata: UnsafeRawBufferPointer(start: nil, count: 0))
                    }
                }
            }
            _ = try await store.append(AppendRequest(stream: stream, events: batch))
            index += 5_000
        }
    }

    /// Runs `body` from `callers` tasks until `seconds` pass; the number of calls that succeeded.
    private func load(_ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> (calls: Int, seconds: Double) {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let calls = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < deadline {
                        try await body(caller, done)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return (calls, BenchmarkClock.seconds(since: start))
    }

    private func reserve(_ memory: ResidentMemory) async throws {
        var store = try open()
        let sku = StreamName(object: try ObjectKey(parsing: "inventory/flash"))
        let farAway = Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000 * 365
        let filled = ContinuousClock.now
        try await Self.bulk(store, sku, count: pending + 1) { index in
            index == 0 ? ("Restocked", #"{"qty":1000000000}"#) : ("Reserved", #"{"orderId":"pre-\#(index - 1)","qty":1,"expiresAt":\#(farAway)}"#)
        }
        let fillSeconds = BenchmarkClock.seconds(since: filled)
        if verbose {
            let live = store.liveStatistics
            FileHandle.standardError.write(Data("filled: live_objects=\(live.objects) live_rows=\(live.rows) live_mb=\(live.bytes >> 20) rss_anon_mb=\(ResidentMemory.anonymousMegabytes)\n".utf8))
            try await store.checkpoint()
            let after = store.liveStatistics
            FileHandle.standardError.write(Data("checkpointed: live_objects=\(after.objects) live_rows=\(after.rows) live_mb=\(after.bytes >> 20) rss_anon_mb=\(ResidentMemory.anonymousMegabytes)\n".utf8))
        }
        let engine = store
        var rates: [Double] = []
        var calls = 0
        for run in 0..<max(1, runs) {
            let window = try await load { caller, n in
                _ = try await engine.run(
                    CommandRequest(stream: sku, command: "reserve", body: ["orderId": .string("o-\(run)-\(caller)-\(n)"), "qty": 1, "ttlSeconds": 86_400]))
            }
            rates.append(Double(window.calls) / window.seconds)
            calls += window.calls
        }
        let stock = try Self.state(store, sku, view: "stock")
        let available = stock["available"]?.integerValue ?? -1
        let reserved = stock["reserved"]?.integerValue ?? -1
        let oversold = available < 0 || reserved != Int64(pending + calls) || available + reserved != 1_000_000_000
        let memoryLine = memoryFields(memory)
        await store.close()
        var coldSeconds: [Double] = []
        for run in 0..<max(1, coldRuns) {
            store = try open()
            let cold = ContinuousClock.now
            _ = try await store.run(CommandRequest(stream: sku, command: "reserve", body: ["orderId": .string("cold-\(run)"), "qty": 1, "ttlSeconds": 86_400]))
            coldSeconds.append(BenchmarkClock.seconds(since: cold))
            await store.close()
        }
        print(
            "workload=reserve pending=\(pending) callers=\(callers) reserves=\(calls) reserves_per_s=\(Int(BenchmarkClock.percentile(rates, 0.5)))"
                + " runs_per_s=\(rates.map { String(Int($0)) }.joined(separator: ","))"
                + " oversold=\(oversold ? 1 : 0) fill_s=\(String(format: "%.1f", fillSeconds))"
                + " cold_command_us=\(Int(BenchmarkClock.percentile(coldSeconds, 0.5) * 1e6)) cold_command_max_us=\(Int((coldSeconds.max() ?? 0) * 1e6))"
                + memoryLine)
    }

    private func ingest(_ memory: ResidentMemory) async throws {
        let counter = BatchCounter()
        let store = try open(counter)
        let start = Date(timeIntervalSince1970: 1_767_225_600).timeIntervalSince1970 * 1000
        let minutes = hours * 60
        let commandsPerMinute = (sensors + readingsPerCommand - 1) / readingsPerCommand
        let unrelated = StreamName(object: try ObjectKey(parsing: "inventory/unrelated"))
        let hourSeconds = HourClock(hours: hours)
        let began = ContinuousClock.now
        let latencies = Task {
            var samples: [Double] = []
            while !Task.isCancelled {
                let sent = ContinuousClock.now
                _ = try await store.run(CommandRequest(stream: unrelated, command: "restock", body: ["qty": 1]))
                samples.append(BenchmarkClock.seconds(since: sent))
                try? await Task.sleep(for: .milliseconds(10))
            }
            return samples
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for building in 0..<buildings {
                group.addTask {
                    let stream = StreamName(object: try ObjectKey(parsing: "building/b\(building)"))
                    for minute in 0..<minutes {
                        for part in 0..<commandsPerMinute {
                            let first = part * readingsPerCommand
                            let readings: [JSONValue] = (first..<min(sensors, first + readingsPerCommand)).map { sensor in
                                [
                                    "sensorId": .string("s\(sensor)"), "sensorType": "temperature", "unit": "C",
                                    "value": .number(Double(20 + (sensor + minute) % 7)), "timestamp": .number(start + Double(minute) * 60_000),
                                ]
                            }
                            _ = try await store.run(CommandRequest(stream: stream, command: "record", body: ["readings": .array(readings)]))
                        }
                        if building == 0, (minute + 1) % 60 == 0 {
                            hourSeconds.mark(hour: minute / 60, at: BenchmarkClock.seconds(since: began))
                            if verbose {
                                let live = store.liveStatistics
                                FileHandle.standardError.write(
                                    Data("hour \(minute / 60 + 1): \(Int(BenchmarkClock.seconds(since: began)))s live_objects=\(live.objects) live_mb=\(live.bytes >> 20) rss_anon_mb=\(ResidentMemory.anonymousMegabytes)\n".utf8))
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = BenchmarkClock.seconds(since: began)
        latencies.cancel()
        let samples = (try? await latencies.value) ?? []
        let readingsPerHour = Double(buildings * sensors * 60)
        let hourTimes = hourSeconds.durations
        let aggregates = try Self.state(store, StreamName(object: try ObjectKey(parsing: "building/b0")), view: "aggregates")
        let memoryLine = memoryFields(memory)
        await store.close()
        let micro = { (fraction: Double) in samples.isEmpty ? 0 : Int(BenchmarkClock.percentile(samples, fraction) * 1e6) }
        print(
            "workload=ingest buildings=\(buildings) sensors=\(sensors) hours=\(hours) readings=\(buildings * sensors * minutes)"
                + " readings_per_s=\(Int(Double(buildings * sensors * minutes) / elapsed))"
                + " first_hour_readings_per_s=\(Int(readingsPerHour / (hourTimes.first ?? elapsed)))"
                + " last_hour_readings_per_s=\(Int(readingsPerHour / (hourTimes.last ?? elapsed)))"
                + " unrelated_p50_us=\(micro(0.5)) unrelated_p99_us=\(micro(0.99)) unrelated_appends=\(samples.count)"
                + " sensors=\(aggregates["sensors"]?.integerValue ?? 0) writer_busy_pct=\(Int(100 * counter.writerBusySeconds / elapsed))"
                + memoryLine)
    }

    private func document(_ memory: ResidentMemory) async throws {
        let store = try open()
        let doc = StreamName(object: try ObjectKey(parsing: "document/big"))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        let position = { (index: Int) -> String in
            var digits = ""
            var rest = index + 62 * 62 * 62
            for _ in 0..<4 {
                digits = String(alphabet[rest % 62]) + digits
                rest /= 62
            }
            return digits + "V"
        }
        try await Self.bulk(store, doc, count: blocks + 1) { index in
            index == 0
                ? ("Joined", #"{"userId":"u1","userName":"Ann"}"#)
                : ("BlockInserted", #"{"userId":"u1","blockId":"b\#(index - 1)","position":"\#(position(index - 1))","text":"block \#(index - 1)"}"#)
        }
        let blockCount = blocks
        let (calls, elapsed) = try await load { caller, n in
            _ = try await store.run(
                CommandRequest(
                    stream: doc, command: "updateBlock",
                    body: ["userId": "u1", "blockId": .string("b\((caller * 7_919 + n * 104_729) % blockCount)"), "text": .string("edit \(caller)-\(n)")]))
        }
        let view = BundledTypes.document.views.first { $0.name == "blocks" }!
        var readSeconds: [Double] = []
        for index in 0..<reads {
            let started = ContinuousClock.now
            let key = BlocksView.blockKey("b\(index % blockCount)")
            guard let page = try store.readRows(view, of: doc, RowQuery(.key(key))), page.rows.count == 1 else {
                throw ValidationError("block b\(index % blockCount) not found")
            }
            readSeconds.append(BenchmarkClock.seconds(since: started))
        }
        let memoryLine = memoryFields(memory)
        await store.close()
        print(
            "workload=document blocks=\(blocks) callers=\(callers) updates=\(calls) updates_per_s=\(Int(Double(calls) / elapsed))"
                + " block_read_p50_us=\(Int(BenchmarkClock.percentile(readSeconds, 0.5) * 1e6)) block_read_p99_us=\(Int(BenchmarkClock.percentile(readSeconds, 0.99) * 1e6))"
                + memoryLine)
    }

    private static func state(_ store: EventStore, _ stream: StreamName, view name: String) throws -> JSONValue {
        guard let view = store.objectTypes[stream.object.type.name]?.views.first(where: { $0.name == name }),
            let read = try store.readView(view, of: stream)
        else { throw ValidationError("no \(name) view of \(stream)") }
        return try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }
    }
}

/// When each simulated hour of an ingest ended, to compare the first hour's rate with the last.
final class HourClock: @unchecked Sendable {
    private let lock = NSLock()
    private var ends: [Double]

    init(hours: Int) { ends = Array(repeating: 0, count: hours) }

    func mark(hour: Int, at seconds: Double) { lock.withLock { ends[hour] = seconds } }

    /// Seconds each hour took.
    var durations: [Double] {
        lock.withLock { zip(ends, [0] + ends.dropLast()).map { $0 - $1 } }
    }
}
