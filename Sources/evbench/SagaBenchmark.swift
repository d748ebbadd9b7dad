import ArgumentParser
import EventModel
import EventServer
import EventStore
import Foundation
import Logging
import Projections

/// Orders through the checkout saga, end to end, against the raw reserve rate of the same SKUs.
struct SagaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga",
        abstract: "Orders of 3 lines through the checkout saga, end to end, beside raw reserves.",
        discussion: """
            --skus SKUs are restocked with a billion units each. First --callers tasks send \
            reserve commands to random SKUs for --seconds (the raw reserve rate). Then the \
            server's ReactionService runs the checkout reaction while --callers tasks each place \
            an order of 3 lines on random SKUs, wait for it to await payment, pay, and wait for \
            it to be confirmed, again and again for --seconds: orders completed per second, their \
            latency from place to confirmed, and the reaction's lag (committed positions it has \
            not run over) sampled every 10 ms. Each phase runs --runs times; medians are printed.

            Examples:
              evbench saga --skus 30 --callers 64 --seconds 5 --dir /tmp/saga
            """)

    @Option(help: "SKUs the orders share.") var skus = 30
    @Option(help: "Concurrent callers.") var callers = 64
    @Option(help: "Seconds of load per run.") var seconds = 5.0
    @Option(help: "Runs of each phase; medians are printed.") var runs = 3
    @Option(help: "A data folder (emptied first).") var dir: String

    func run() async throws {
        try? FileManager.default.removeItem(atPath: dir)
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let store = try EventStore(
            configuration: StoreConfiguration(directory: dir), objectTypes: BundledTypes.all, reactions: BundledTypes.reactions, holder: "evbench",
            logger: logger)
        let names = (0..<skus).map { "sku-\($0)" }
        for sku in names {
            _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/\(sku)")), command: "restock", body: ["qty": 1_000_000_000]))
        }
        var reserveRates: [Double] = []
        for run in 0..<runs {
            let window = try await load { caller, n in
                let sku = names[(caller * 7 + n * 13) % names.count]
                _ = try await store.run(
                    CommandRequest(
                        stream: StreamName(object: try ObjectKey(parsing: "inventory/\(sku)")), command: "reserve",
                        body: ["orderId": .string("raw-\(run)-\(caller)-\(n)"), "qty": 1, "ttlSeconds": 86_400]))
                return nil
            }
            reserveRates.append(Double(window.calls) / window.seconds)
        }

        // The reaction passes over the raw reserves first: the lag is sampled from where it has.
        while try await store.runReactions() > 0 {}
        let service = Task { try await ReactionService(store: store, metrics: ServerMetrics(), logger: logger).run() }
        let lags = LagSampler(store: store)
        var orderRates: [Double] = []
        var latencies: [Double] = []
        var failed = 0
        for run in 0..<runs {
            let window = try await load { caller, n in
                let first = (caller * 7 + n * 3) % names.count
                let lines = (0..<3).map { names[(first + $0 * 5) % names.count] }
                return try await Self.order("o-\(run)-\(caller)-\(n)", lines: lines, store: store)
            }
            orderRates.append(Double(window.calls - window.failures) / window.seconds)
            latencies += window.latencies
            failed += window.failures
        }
        let lag = await lags.stop()
        service.cancel()
        _ = await service.result
        await store.close()
        let reserves = BenchmarkClock.percentile(reserveRates, 0.5)
        let orders = BenchmarkClock.percentile(orderRates, 0.5)
        print(
            "workload=saga skus=\(skus) callers=\(callers) reserves_per_s=\(Int(reserves)) orders_per_s=\(Int(orders)) lines_per_s=\(Int(orders * 3))"
                + " runs_reserves_per_s=\(reserveRates.map { String(Int($0)) }.joined(separator: ",")) runs_orders_per_s=\(orderRates.map { String(Int($0)) }.joined(separator: ","))"
                + " order_p50_ms=\(String(format: "%.1f", BenchmarkClock.percentile(latencies, 0.5) * 1000)) order_p99_ms=\(String(format: "%.1f", BenchmarkClock.percentile(latencies, 0.99) * 1000))"
                + " lag_p50=\(Int(BenchmarkClock.percentile(lag, 0.5))) lag_p99=\(Int(BenchmarkClock.percentile(lag, 0.99))) lag_max=\(Int(lag.max() ?? 0)) failed=\(failed)")
    }

    /// Places `id`, pays once it awaits payment, and returns its latency once confirmed (nil:
    /// it failed).
    private static func order(_ id: String, lines: [String], store: EventStore) async throws -> Double? {
        let started = ContinuousClock.now
        let stream = StreamName(object: try ObjectKey(parsing: "order/\(id)"))
        let body: JSONValue = [
            "customerId": "c-1", "paymentSeconds": 600, "lines": .array(lines.map { ["sku": .string($0), "qty": 1] }),
        ]
        _ = try await store.run(CommandRequest(stream: stream, command: "place", body: body))
        guard try await status(of: stream, in: store, reaching: ["awaiting-payment", "failed"]) == "awaiting-payment" else { return nil }
        _ = try await store.run(CommandRequest(stream: stream, command: "pay", body: [:]))
        guard try await status(of: stream, in: store, reaching: ["confirmed", "failed"]) == "confirmed" else { return nil }
        return BenchmarkClock.seconds(since: started)
    }

    /// The order's status once it is one of `wanted`, looked at after every commit that moved
    /// the order (its version, a cheap read, says which did).
    private static func status(of stream: StreamName, in store: EventStore, reaching wanted: Set<String>) async throws -> String {
        let view = store.objectTypes["order"]!.views[0]
        var version: Seq = 0
        while true {
            let seen = store.commits.committedPosition
            let now = try store.version(of: stream)
            if now != version, let read = try store.readView(view, of: stream),
                let status = try read.state.withUnsafeBytes({ try JSONValue(parsing: $0) })["status"]?.stringValue, wanted.contains(status)
            {
                return status
            }
            version = now
            await store.commits.wait(after: seen)
        }
    }

    /// Runs `callers` tasks calling `body` for `seconds`: calls, failures (a nil latency),
    /// the latencies and the window's length.
    private func load(_ body: @escaping @Sendable (Int, Int) async throws -> Double?) async throws -> (
        calls: Int, failures: Int, latencies: [Double], seconds: Double
    ) {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let results = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var done = 0
                    var failures = 0
                    var latencies: [Double] = []
                    while ContinuousClock.now < deadline {
                        if let latency = try await body(caller, done) { latencies.append(latency) } else { failures += 1 }
                        done += 1
                    }
                    return (done, failures, latencies)
                }
            }
            var all = (0, 0, [Double]())
            for try await (done, failures, latencies) in group {
                all.0 += done
                all.1 += failures
                all.2 += latencies
            }
            return all
        }
        return (results.0, results.1, results.2, BenchmarkClock.seconds(since: start))
    }
}

/// Samples the checkout reaction's lag every 10 ms until stopped.
private struct LagSampler {
    private let task: Task<[Double], Never>

    init(store: EventStore) {
        task = Task {
            var samples: [Double] = []
            while !Task.isCancelled {
                let committed = store.commits.committedPosition
                if let position = try? store.reactionPosition(CheckoutReaction.reactionName) { samples.append(Double(committed - min(committed, position))) }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return samples
        }
    }

    /// The samples taken (a single 0 when none were).
    func stop() async -> [Double] {
        task.cancel()
        let samples = await task.value
        return samples.isEmpty ? [0] : samples
    }
}
