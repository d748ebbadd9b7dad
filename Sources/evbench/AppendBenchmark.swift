import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging

/// Durable appends through the engine API: N concurrent appenders, one 200-byte event each per
/// request, to distinct objects or all to one.
struct AppendBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Durable appends/s through the engine API.",
        discussion: """
            Examples:
              evbench append --appenders 16 --objects one --seconds 5 --dir /tmp/bench-append
            """)

    enum Objects: String, ExpressibleByArgument { case distinct, one }

    @Option(help: "Concurrent appenders.") var appenders = 16
    @Option(help: "distinct: each appender its own object; one: every appender the same object.") var objects: Objects = .distinct
    @Option(help: "How long to append, in seconds.") var seconds = 5.0
    @Option(help: "A data folder (created fresh).") var dir: String
    @Flag(help: "Seal the events (a master key, each object its own data key): the cost of erasure by crypto-shredding.") var sealed = false

    func run() async throws {
        try? FileManager.default.removeItem(atPath: dir)
        let counter = BatchCounter()
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        var configuration = StoreConfiguration(directory: dir)
        if sealed { configuration.masterKey = [UInt8](repeating: 0x5A, count: 32) }
        let store = try EventStore(configuration: configuration, holder: "evbench", logger: logger, observer: counter)
        let objectKeys = try (0..<appenders).map { try ObjectKey(parsing: "bench/o-\(objects == .one ? 0 : $0)") }
        // Warm up: create the objects.
        for key in Set(objectKeys) { _ = try await store.append(BenchmarkEvents.request(object: key, count: 1, first: 0)) }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let appended = try await withThrowingTaskGroup(of: Int.self) { group in
            for appender in 0..<appenders {
                // The client builds its request once: what is measured is the engine, not the
                // benchmark's string formatting. Each append still gets a new event id.
                let request = try BenchmarkEvents.request(object: objectKeys[appender], count: 1, first: appender)
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        _ = try await store.append(request)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await store.close()
        print(
            "append appenders=\(appenders) objects=\(objects.rawValue) events=\(appended) seconds=\(String(format: "%.2f", elapsedSeconds)) events_per_s=\(Int(Double(appended) / elapsedSeconds)) avg_batch=\(String(format: "%.1f", counter.averageBatchEvents))"
        )
    }
}
