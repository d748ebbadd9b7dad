import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging

/// Reading and decoding (CRC checked) every event of one object, and of the global log.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay events/s: one object's stream and the global log.",
        discussion: """
            Writes --events events of 200 bytes to one object (unless the folder already holds them),
            then reads them all back --runs times each way and prints the median.

            Examples:
              evbench replay --events 1000000 --dir /tmp/bench-replay
            """)

    @Option(help: "Events to write to one object.") var events = 1_000_000
    @Option(help: "Read passes per measurement; the median is printed.") var runs = 3
    @Option(help: "A data folder.") var dir: String
    @Flag(help: "Seal the events (a master key, each object its own data key): the cost of erasure by crypto-shredding.") var sealed = false

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        var configuration = StoreConfiguration(directory: dir)
        if sealed { configuration.masterKey = [UInt8](repeating: 0x5A, count: 32) }
        let store = try EventStore(configuration: configuration, holder: "evbench", logger: logger)
        let object = try ObjectKey(parsing: "bench/replay")
        let stream = StreamName(object: object)
        var written = Int(try store.version(of: stream))
        while written < events {
            let count = min(1_000, events - written)
            _ = try await store.append(BenchmarkEvents.request(object: object, count: count, first: written))
            written += count
        }
        var streamRates: [Double] = []
        var logRates: [Double] = []
        var checksum = 0
        for _ in 0..<runs {
            var start = ContinuousClock.now
            var count = 0
            _ = try store.readStream(stream, from: 1, limit: Int.max) { event in
                count += 1
                checksum &+= event.data.count
            }
            streamRates.append(Double(count) / seconds(since: start))
            start = ContinuousClock.now
            count = 0
            _ = try store.readLog(after: 0, limit: Int.max) { event, _ in
                count += 1
                checksum &+= event.data.count
            }
            logRates.append(Double(count) / seconds(since: start))
        }
        await store.close()
        print("replay events=\(written) stream_events_per_s=\(Int(median(streamRates))) log_events_per_s=\(Int(median(logRates))) checksum=\(checksum)")
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
