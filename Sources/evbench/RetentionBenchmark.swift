import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections
import Synchronization

/// Retention at the scale of a building: many sensors over simulated time, readings kept a few
/// minutes, the data file watched once compaction keeps up.
struct RetentionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "A building's sensors over --minutes simulated minutes, readings kept --keep-minutes: the data file's size, ingest and compaction rates.",
        discussion: """
            One `record` command a simulated second holding a reading of each of --sensors \
            sensors (the clock is simulated, the work is real), a retention pass each simulated \
            minute. Prints the data file's size each minute, its smallest and largest over the \
            last --measure-minutes (and their ratio: at most 1.10 is flat within 10%), readings/s \
            ingested (wall clock) and the median retention pass.

            Examples:
              evbench retention --sensors 1000 --keep-minutes 5 --minutes 40 --dir /tmp/bench-retention
            """)

    @Option(help: "Sensors in the building, one reading each a simulated second.") var sensors = 1_000
    @Option(help: "Minutes of readings kept.") var keepMinutes = 5
    @Option(help: "Simulated minutes in all.") var minutes = 40
    @Option(help: "The last minutes the file's size is watched over.") var measureMinutes = 30
    @Option(help: "An empty data folder.") var dir: String

    func validate() throws {
        guard sensors >= 1, sensors <= RecordCommand.readingsMax else { throw ValidationError("--sensors must be 1 to \(RecordCommand.readingsMax)") }
        guard keepMinutes >= 1, measureMinutes >= 1, minutes > measureMinutes else { throw ValidationError("--minutes must be more than --measure-minutes") }
    }

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        try? FileManager.default.removeItem(atPath: dir)
        defer { if ProcessInfo.processInfo.environment["EVBENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let clock = SimulatedClock(start: 1_767_225_600_000)
        var types = BundledTypes.all
        types["building"]?.retention = RetentionPolicy(milliseconds: Int64(keepMinutes) * 60_000)
        let store = try EventStore(configuration: StoreConfiguration(directory: dir), objectTypes: types, clock: clock, holder: "evbench", logger: logger)
        let stream = StreamName(object: try ObjectKey(parsing: "building/hq"))
        var sizes: [Int] = []
        var passes: [Double] = []
        var compacted: UInt64 = 0
        var ingestSeconds = 0.0
        for minute in 1...minutes {
            let start = ContinuousClock.now
            for _ in 0..<60 {
                clock.advance(byMilliseconds: 1_000)
                let now = clock.nowMilliseconds()
                let readings: [JSONValue] = (0..<sensors).map { sensor in
                    [
                        "sensorId": .string("s-\(sensor)"), "sensorType": "temperature", "value": .number(Double(18 + (sensor + minute) % 9)),
                        "unit": "C", "timestamp": .number(Double(now - 500)),
                    ]
                }
                _ = try await store.run(CommandRequest(stream: stream, command: "record", body: ["readings": .array(readings)]))
            }
            ingestSeconds += BenchmarkClock.seconds(since: start)
            let passStart = ContinuousClock.now
            compacted += try await store.applyRetention().events
            passes.append(BenchmarkClock.seconds(since: passStart))
            let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")[.size] as? Int) ?? 0
            sizes.append(size)
            FileHandle.standardError.write(Data("minute \(minute): \(size / 1024) KiB\n".utf8))
        }
        let horizon = try store.horizon(of: stream)
        await store.close()
        let watched = sizes.suffix(measureMinutes)
        let smallest = watched.min() ?? 0
        let largest = watched.max() ?? 0
        let readings = Double(sensors * 60 * minutes)
        print(
            "sensors=\(sensors) keep_minutes=\(keepMinutes) minutes=\(minutes) measure_minutes=\(measureMinutes)"
                + " file_min_mb=\(String(format: "%.1f", Double(smallest) / 1_048_576)) file_max_mb=\(String(format: "%.1f", Double(largest) / 1_048_576))"
                + " file_ratio=\(String(format: "%.3f", Double(largest) / Double(max(smallest, 1))))"
                + " readings_per_s=\(Int(readings / ingestSeconds)) pass_median_ms=\(String(format: "%.1f", BenchmarkClock.percentile(passes, 0.5) * 1_000))"
                + " events_compacted=\(compacted) horizon_seq=\(horizon?.seq ?? 0)")
    }
}

/// A clock the benchmark moves forward itself.
final class SimulatedClock: Clock {
    private let now: Atomic<Int64>

    init(start: Int64) { now = Atomic(start) }

    func nowMilliseconds() -> Int64 { now.load(ordering: .relaxed) }

    func advance(byMilliseconds milliseconds: Int64) { now.add(milliseconds, ordering: .relaxed) }
}
