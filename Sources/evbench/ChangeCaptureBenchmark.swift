import ArgumentParser
import AsyncHTTPClient
import EventModel
import EventServer
import EventStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Sinks
import Synchronization

/// Change-data capture: append→SSE latency at a steady rate, a consumer's catch-up rate, and
/// the JetStream sink's throughput.
struct ChangeCaptureBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdc",
        abstract: "Append→SSE latency at --rate events/s, catch-up of a consumer over --events events, JetStream sink events/s.",
        discussion: """
            latency: serves a fresh store in-process, follows GET /v1/consumers/{name}/stream \
            with one SSE client, and appends --rate events/s (in requests of rate/1000 events \
            every millisecond) for --seconds; each event carries the time its append was issued, \
            and the client measures until it holds the event. Prints p50 and p99.
            catchup: appends --events events (unless the folder holds them), then one consumer \
            reads them all from position 0 as CloudEvents, through the engine (what a sink does) \
            and through SSE over HTTP. Prints events/s of each.
            jetstream: the JetStream sink publishing --events events to --nats (a running \
            nats-server -js), each waiting for its ack.

            Examples:
              evbench cdc latency --rate 1000 --seconds 5 --dir /tmp/b5
              evbench cdc catchup --events 1000000 --dir /tmp/b6
              evbench cdc jetstream --events 50000 --nats nats://127.0.0.1:4222 --dir /tmp/b7
            """)

    enum Mode: String, ExpressibleByArgument { case latency, catchup, jetstream }

    @Argument(help: "latency, catchup or jetstream.") var mode: Mode
    @Option(help: "Events per second (latency).") var rate = 1_000
    @Option(help: "Seconds of appending (latency).") var seconds = 5.0
    @Option(help: "Events (catchup, jetstream).") var events = 1_000_000
    @Option(help: "A nats-server with JetStream (jetstream).") var nats = "nats://127.0.0.1:4222"
    @Option(help: "A data folder.") var dir: String

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        switch mode {
        case .latency:
            try? FileManager.default.removeItem(atPath: dir)
            let store = try EventStore(configuration: StoreConfiguration(directory: dir), holder: "evbench", logger: logger)
            let latencies = try await measureLatency(store, logger: logger)
            await store.close()
            let p50 = BenchmarkClock.percentile(latencies, 0.5) * 1e6
            let p99 = BenchmarkClock.percentile(latencies, 0.99) * 1e6
            print("cdc-latency rate=\(rate) events=\(latencies.count) p50_us=\(Int(p50)) p99_us=\(Int(p99))")
        case .catchup:
            let store = try EventStore(configuration: StoreConfiguration(directory: dir), holder: "evbench", logger: logger)
            try await fill(store, count: events)
            let (engineRate, sseRate) = try await measureCatchUp(store, logger: logger)
            await store.close()
            print("cdc-catchup events=\(events) engine_events_per_s=\(Int(engineRate)) sse_events_per_s=\(Int(sseRate))")
        case .jetstream:
            try? FileManager.default.removeItem(atPath: dir)
            let store = try EventStore(configuration: StoreConfiguration(directory: dir), holder: "evbench", logger: logger)
            try await fill(store, count: events)
            let stream = "BENCH\(UInt32.random(in: 0...UInt32.max))"
            let configuration = SinkConfiguration(name: "bench", target: .nats(url: nats, stream: stream, subjectPrefix: stream.lowercased()), batchSize: 500)
            let sink = try configuration.makeSink()
            let start = ContinuousClock.now
            let task = Task { try await SinkRunner(store: store, configuration: configuration, sink: sink, logger: logger).run() }
            while try store.consumer("bench")?.position ?? 0 < UInt64(events) { try await Task.sleep(for: .milliseconds(20)) }
            let elapsed = BenchmarkClock.seconds(since: start)
            task.cancel()
            _ = await task.result
            await sink.close()
            await store.close()
            print("cdc-jetstream events=\(events) seconds=\(String(format: "%.2f", elapsed)) events_per_s=\(Int(Double(events) / elapsed))")
        }
    }

    /// Serves `store`, follows a consumer's SSE stream and appends at the rate; the latency of
    /// every event, in seconds.
    private func measureLatency(_ store: EventStore, logger: Logger) async throws -> [Double] {
        _ = try await store.putConsumer("latency", filter: ConsumerFilter(), start: .latest)
        let port = Int.random(in: 20_000...60_000)
        let server = try await serve(store, port: port, logger: logger)
        defer { server.cancel() }
        let origin = ContinuousClock.now
        let latencies = Mutex<[Double]>([])
        let expected = Int(Double(rate) * seconds)
        let reader = Task {
            try await follow("http://127.0.0.1:\(port)/v1/consumers/latency/stream", count: expected) { data in
                // `"data":{"t":NANOSECONDS}` inside the CloudEvent.
                guard let range = data.firstRange(of: Array("{\"t\":".utf8)) else { return }
                let digits = data[range.upperBound...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                guard let sent = Int64(String(decoding: digits, as: UTF8.self)) else { return }
                let now = ContinuousClock.now - origin
                let nanoseconds = now.components.seconds * 1_000_000_000 + now.components.attoseconds / 1_000_000_000
                latencies.withLock { $0.append(Double(nanoseconds - sent) / 1e9) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let perMillisecond = max(1, rate / 1_000)
        let ticks = expected / perMillisecond
        let object = try ObjectKey(parsing: "bench/latency")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tick in 0..<ticks {
                let due = origin + .milliseconds(200 + tick)
                if ContinuousClock.now < due { try await Task.sleep(until: due) }
                let now = ContinuousClock.now - origin
                let sent = now.components.seconds * 1_000_000_000 + now.components.attoseconds / 1_000_000_000
                var batch = EventBatch()
                let data = Array("{\"t\":\(sent)}".utf8)
                let type = Array("Ticked".utf8)
                for _ in 0..<perMillisecond {
                    try type.withUnsafeBytes { type in
                        try data.withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                    }
                }
                group.addTask { _ = try await store.append(AppendRequest(stream: StreamName(object: object), events: batch)) }
            }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while latencies.withLock({ $0.count }) < ticks * perMillisecond, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        reader.cancel()
        return latencies.withLock { $0 }
    }

    /// Events/s of one consumer reading every event from 0: through the engine, then over SSE.
    private func measureCatchUp(_ store: EventStore, logger: Logger) async throws -> (engine: Double, sse: Double) {
        _ = try await store.putConsumer("catchup", filter: ConsumerFilter(), start: .earliest)
        var engineRates: [Double] = []
        for _ in 0..<3 {
            var position: Position = 0
            var count = 0
            var bytes = 0
            let start = ContinuousClock.now
            var writer = JSONWriter(capacity: 1 << 20)
            while true {
                writer.bytes.removeAll(keepingCapacity: true)
                guard let page = try store.readConsumer("catchup", after: position, limit: 4_096, bytesMax: 16 << 20, { event, name in
                    CloudEventJSON.write(event, name: name, into: &writer)
                    count += 1
                }) else { break }
                bytes += writer.bytes.count
                if page.next == position { break }
                position = page.next
            }
            engineRates.append(Double(count) / BenchmarkClock.seconds(since: start))
            guard count == events, bytes > 0 else { throw ValidationError("read \(count) of \(events) events") }
        }
        let port = Int.random(in: 20_000...60_000)
        let server = try await serve(store, port: port, logger: logger)
        defer { server.cancel() }
        let start = ContinuousClock.now
        let received = try await follow("http://127.0.0.1:\(port)/v1/consumers/catchup/stream", count: events) { _ in }
        let sseRate = Double(received) / BenchmarkClock.seconds(since: start)
        return (BenchmarkClock.percentile(engineRates, 0.5), sseRate)
    }

    /// Runs the HTTP server on `port` until the task is cancelled.
    private func serve(_ store: EventStore, port: Int, logger: Logger) async throws -> Task<Void, Never> {
        var configuration = ServerConfiguration()
        configuration.port = port
        let application = try EventServer.makeApplication(
            store: store, configuration: configuration, metrics: ServerMetrics(), streams: LogStreamHub(), logger: Self.quiet(logger))
        let task = Task { _ = try? await application.runService() }
        for _ in 0..<100 {
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1))) != nil { return task }
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        throw ValidationError("the server did not start on \(port)")
    }

    /// `logger` at critical: an in-process server logs its cancellation as an error.
    private static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = .critical
        return quiet
    }

    /// Reads the SSE stream at `url` until `count` events arrived, handing each `data:` line
    /// to `body`; returns how many arrived.
    @discardableResult
    private func follow(_ url: String, count: Int, _ body: @Sendable ([UInt8]) -> Void) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(1))
        var received = 0
        var line: [UInt8] = []
        for try await chunk in response.body {
            let bytes = chunk.readableBytesView
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: bytes[start..<newline])
                start = newline + 1
                if line.starts(with: "data: ".utf8) {
                    body(Array(line.dropFirst(6)))
                    received += 1
                    if received >= count { return received }
                }
                line.removeAll(keepingCapacity: true)
            }
            line.append(contentsOf: bytes[start...])
        }
        return received
    }

    /// Appends 200-byte events to one object until the store holds `count`.
    private func fill(_ store: EventStore, count: Int) async throws {
        var written = Int(try store.statistics().lastPosition)
        let object = try ObjectKey(parsing: "bench/cdc")
        while written < count {
            let chunk = min(1_000, count - written)
            _ = try await store.append(BenchmarkEvents.request(object: object, count: chunk, first: written))
            written += chunk
        }
    }
}
