import EventModel
import EventStore
import Foundation
import Prometheus

/// The server's Prometheus metrics. The store reports once per batch, never per event.
public final class ServerMetrics: StoreObserver, Sendable {
    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()
    private let appendedEvents: Counter
    private let appendRequests: Counter
    private let batches: Counter
    private let batchRequests: ValueHistogram
    private let batchEvents: ValueHistogram
    private let commitSeconds: ValueHistogram
    private let appendWaitSeconds: ValueHistogram
    private let socketDeliverySeconds: ValueHistogram
    private let socketMessages: [SocketWriter: Counter]
    let queueDepth: Gauge
    let logReaders: Gauge
    let committedPosition: Gauge

    /// Registers every metric, named `evlog_<name>_<unit>`.
    public init() {
        let latency: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
        let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "evlog", metricName: metric, unitName: unit, helpText: help)
        }
        appendedEvents = registry.makeCounter(descriptor: name("appended_events", "total", "Events committed (and duplicates answered)"))
        appendRequests = registry.makeCounter(descriptor: name("append_requests", "total", "Append requests answered by the writer"))
        batches = registry.makeCounter(descriptor: name("batches", "total", "Write transactions committed or failed"))
        batchRequests = registry.makeValueHistogram(descriptor: name("batch", "requests", "Requests per write transaction"), buckets: sizes)
        batchEvents = registry.makeValueHistogram(descriptor: name("batch", "events", "Events per write transaction"), buckets: sizes)
        commitSeconds = registry.makeValueHistogram(
            descriptor: name("commit", "seconds", "Time to apply and commit one batch (one sync)"), buckets: latency)
        appendWaitSeconds = registry.makeValueHistogram(
            descriptor: name("append_latency", "seconds", "Time from queueing to the answer, for the oldest request of each batch"),
            buckets: latency)
        socketDeliverySeconds = registry.makeValueHistogram(
            descriptor: name(
                "socket_delivery", "seconds",
                "From an event's commit (published, after its sync; for an event of an older commit than the last, from its time, before the sync) to the WebSocket message carrying it written, for the newest event of each message"),
            buckets: [0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01, 0.0125, 0.015, 0.02, 0.05, 0.1, 0.25, 1])
        let registry = registry
        let messages = name(
            "socket_messages", "total", "WebSocket events messages written, by their writer: the fan-out of the object branch or the socket's own task")
        socketMessages = Dictionary(
            uniqueKeysWithValues: SocketWriter.allCases.map { ($0, registry.makeCounter(descriptor: messages, labels: [("writer", $0.rawValue)])) })
        queueDepth = registry.makeGauge(descriptor: name("queue_depth", "requests", "Append requests waiting for the writer"))
        logReaders = registry.makeGauge(descriptor: name("log_readers", "streams", "Open Server-Sent Events log streams"))
        committedPosition = registry.makeGauge(descriptor: name("committed", "position", "The last committed global log position"))
    }

    public func batchFinished(requests: Int, events: Int, commitSeconds: Double, waitSeconds: Double) {
        appendRequests.increment(by: Int64(requests))
        appendedEvents.increment(by: Int64(events))
        batches.increment()
        batchRequests.record(Double(requests))
        batchEvents.record(Double(events))
        self.commitSeconds.record(commitSeconds)
        appendWaitSeconds.record(waitSeconds)
    }

    /// How long ago the newest event of a WebSocket message (at `position`, with the time
    /// `committedMilliseconds`) was committed: since its commit was published (after its sync)
    /// when that is the store's last commit, else since the event's time (before the sync: longer).
    func sinceCommit(position: Position, committedMilliseconds: Int64, commits: CommitSignal) -> Duration {
        if let since = commits.sincePublished(position) { return since }
        return .milliseconds(max(0, Int64(Date().timeIntervalSince1970 * 1_000) - committedMilliseconds))
    }

    /// Records WebSocket messages written by `writer`, each `delays` after its newest event's
    /// commit (``sinceCommit(position:committedMilliseconds:commits:)``).
    func socketsDelivered(_ delays: some Collection<Duration>, by writer: SocketWriter) {
        socketMessages[writer]?.increment(by: Int64(delays.count))
        for delay in delays {
            socketDeliverySeconds.record(Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds))
        }
    }
}

/// Who wrote a WebSocket's events message.
enum SocketWriter: String, CaseIterable, Sendable {
    /// The fan-out of its object branch, to a socket caught up (``SocketFanout``).
    case fanout
    /// The socket's own task (its catch-up, or an object branch with one socket).
    case socket
}
