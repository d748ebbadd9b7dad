import EventModel
import EventStore
import Logging

/// Runs one sink as a named consumer: reads a batch after its acknowledged position, delivers
/// it, and acknowledges it only once delivered, so a crash of either side delivers it again
/// (at least once, in position order, nothing skipped). A failing batch is retried with
/// exponential backoff and jitter; a webhook batch still failing after `maxAttempts` is parked
/// in the store (see `evtool sink parked`) and the sink moves on. The runner holds one batch
/// at a time: a slow target slows the sink, never the store.
public struct SinkRunner: Sendable {
    let store: EventStore
    let configuration: SinkConfiguration
    let sink: any Sink
    let logger: Logger

    /// A runner for `configuration`, delivering to `sink`.
    public init(store: EventStore, configuration: SinkConfiguration, sink: any Sink, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
    }

    /// Runs until the task is cancelled (or the store closes).
    public func run() async throws {
        let name = configuration.name
        let existing = try store.consumer(name)
        _ = try await store.putConsumer(name, filter: configuration.filter, start: existing == nil ? configuration.start : nil)
        logger.info("sink started", metadata: ["sink": "\(name)", "position": "\(existing?.position ?? 0)"])
        defer { logger.info("sink stopped", metadata: ["sink": "\(name)"]) }
        while !Task.isCancelled {
            guard let batch = try nextBatch() else { throw EventStoreError.consumerNotFound(name) }
            if batch.events.isEmpty {
                if batch.next > (try store.consumer(name)?.position ?? 0) {
                    try await store.ack(name, position: batch.next)
                    continue
                }
                await waitForCommit(after: batch.next)
                continue
            }
            guard try await deliver(batch) else { return }
            try await store.ack(name, position: batch.next)
        }
    }

    /// The next batch after the consumer's position (or after `after`, when it is further);
    /// nil when the consumer was deleted.
    public func nextBatch(after: Position? = nil) throws -> SinkBatch? {
        var events: [SinkBatch.Event] = []
        let page = try store.readConsumer(configuration.name, after: after, limit: configuration.batchSize) { event, streamName in
            var writer = JSONWriter(capacity: 256 + event.data.count)
            CloudEventJSON.write(event, name: streamName, into: &writer)
            let object = streamName.object
            let objectType = String(decoding: object.prefix { $0 != UInt8(ascii: "/") }, as: UTF8.self)
            events.append(SinkBatch.Event(json: writer.bytes, id: event.id, objectType: objectType, position: event.position))
        }
        return page.map { SinkBatch(events: events, next: $0.next) }
    }

    /// Delivers `batch`, retrying; true once delivered or parked, false when cancelled.
    func deliver(_ batch: SinkBatch) async throws -> Bool {
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                try await sink.deliver(batch)
                return true
            } catch {
                let parks = if case .webhook = configuration.target { true } else { false }
                if parks, attempt >= configuration.maxAttempts {
                    try await store.park(sink: configuration.name, firstPosition: batch.firstPosition, batch: batch.body, reason: "\(error)")
                    logger.error(
                        "batch parked", metadata: ["sink": "\(configuration.name)", "position": "\(batch.firstPosition)", "attempts": "\(attempt)", "error": "\(error)"])
                    return true
                }
                let delay = backoff(attempt: attempt)
                logger.warning("delivery failed; retrying", metadata: ["sink": "\(configuration.name)", "attempt": "\(attempt)", "retryMs": "\(delay)", "error": "\(error)"])
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return false }
            }
        }
        return false
    }

    /// Exponential backoff with jitter: a random delay in [d/2, d], d doubling from the base up
    /// to the maximum.
    func backoff(attempt: Int) -> Int {
        let doubled = configuration.backoffMilliseconds << min(attempt - 1, 20)
        let ceiling = min(configuration.backoffMaxMilliseconds, doubled)
        return Int.random(in: max(1, ceiling / 2)...max(1, ceiling))
    }

    /// Waits for a commit after `position`, a second at most (or until cancelled).
    private func waitForCommit(after position: Position) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [store] in await store.commits.wait(after: position) }
            group.addTask { try? await Task.sleep(for: .seconds(1)) }
            await group.next()
            group.cancelAll()
        }
    }
}
