import EventStore
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
    let queueDepth: Gauge
    let logReaders: Gauge
    let committedPosition: Gauge

    /// Registers every metric.
    public init() {
        let latency: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
        let sizes: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]
        appendedEvents = registry.makeCounter(name: "evlog_appended_events_total", help: "Events committed (and duplicates answered)")
        appendRequests = registry.makeCounter(name: "evlog_append_requests_total", help: "Append requests answered by the writer")
        batches = registry.makeCounter(name: "evlog_batches_total", help: "Write transactions committed or failed")
        batchRequests = registry.makeValueHistogram(name: "evlog_batch_requests", buckets: sizes, help: "Requests per write transaction")
        batchEvents = registry.makeValueHistogram(name: "evlog_batch_events", buckets: sizes, help: "Events per write transaction")
        commitSeconds = registry.makeValueHistogram(name: "evlog_commit_seconds", buckets: latency, help: "Time to apply and commit one batch (one sync)")
        appendWaitSeconds = registry.makeValueHistogram(name: "evlog_append_latency_seconds", buckets: latency, help: "Time from queueing to the answer, for the oldest request of each batch")
        queueDepth = registry.makeGauge(name: "evlog_queue_depth", help: "Append requests waiting for the writer")
        logReaders = registry.makeGauge(name: "evlog_log_readers", help: "Open Server-Sent Events log streams")
        committedPosition = registry.makeGauge(name: "evlog_committed_position", help: "The last committed global log position")
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
}
