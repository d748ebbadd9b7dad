import EventModel
import Foundation
import LMDB
import Logging
import Sealing
import Synchronization
import Zstd

/// Observes the writer, once per committed batch (never per event): the server turns these
/// calls into metrics.
public protocol StoreObserver: Sendable {
    /// A batch was committed (or failed as a whole): how many requests and events it carried,
    /// and how long from the first request's arrival to the answers.
    func batchFinished(requests: Int, events: Int, commitSeconds: Double, waitSeconds: Double)
}

/// The single writer: one dedicated thread that takes every queued request, applies them in one
/// LMDB write transaction and commits once (one sync), then answers them all.
///
/// Write transactions begin and commit on this thread only, with no `await` in between.
/// After a failed sync the environment is reopened before anything else is written, since LMDB
/// would otherwise write on top of pages the disk never took.
final class GroupCommitWriter: @unchecked Sendable {
    private let environment: Environment
    private let layout: StoreLayout
    private let queue: AppendQueue
    private let signal: CommitSignal
    private let clock: any Clock
    private let configuration: StoreConfiguration
    private let objectTypes: [String: ObjectTypeDefinition]
    private let logger: Logger
    private let observer: (any StoreObserver)?
    /// The objects kept live, folded as batches write to them.
    let live: LiveObjects
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    // Touched only by the writer thread once it runs.
    private var state: WriterState
    private var needsReopen = false
    private var readersCheckedNanoseconds: UInt64 = 0
    private var maintainedNanoseconds: UInt64 = 0
    /// Compresses the events deciders make (at zstd's fastest level: it runs on the writer).
    private let compressor = ZstdCompressor(level: 1)
    /// Seals objects' events and checkpoints (when the store does): used by the writer's thread only.
    private let sealer = AESGCM()
    /// How often the writer checks live objects for checkpoints due by time and for eviction,
    /// busy or idle.
    private static let maintenanceIntervalNanoseconds: UInt64 = 1_000_000_000
    /// How often the writer clears reader slots left by dead readers: one such slot pins every
    /// page written after it, and the file grows without bound.
    private static let readerCheckIntervalNanoseconds: UInt64 = 60_000_000_000

    init(
        environment: Environment, layout: StoreLayout, queue: AppendQueue, signal: CommitSignal, clock: any Clock,
        configuration: StoreConfiguration, objectTypes: [String: ObjectTypeDefinition], logger: Logger,
        observer: (any StoreObserver)?, state: WriterState, live: LiveObjects
    ) {
        self.live = live
        self.objectTypes = objectTypes
        self.environment = environment
        self.layout = layout
        self.queue = queue
        self.signal = signal
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.state = state
    }

    /// Starts the writer thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "evlog-writer"
        thread.start()
    }

    /// Returns once the writer has drained the (closed) queue and stopped.
    func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    private func run() {
        while let batch = queue.takeBatch(
            requestsMax: configuration.batchRequestsMax, bytesMax: configuration.batchBytesMax, eventsMax: configuration.batchEventsMax,
            waitNanoseconds: Self.maintenanceIntervalNanoseconds)
        {
            let started = DispatchTime.now().uptimeNanoseconds
            if started - readersCheckedNanoseconds > Self.readerCheckIntervalNanoseconds {
                readersCheckedNanoseconds = started
                clearStaleReaders()
            }
            if started - maintainedNanoseconds > Self.maintenanceIntervalNanoseconds {
                maintainedNanoseconds = started
                live.maintain(nowMilliseconds: clock.nowMilliseconds())
            }
            guard !batch.isEmpty else { continue }
            let deadline = started + UInt64(configuration.transactionWorkMaxMicroseconds) * 1_000
            let (completions, applied) = commit(batch.map(\.command), deadlineNanoseconds: deadline)
            if applied < batch.count { queue.putBack(Array(batch[applied...])) }
            signal.publish(state.nextPosition - 1)
            for completion in completions { completion.resume() }
            let finished = DispatchTime.now().uptimeNanoseconds
            observer?.batchFinished(
                requests: applied, events: batch[..<applied].reduce(0) { $0 + $1.command.eventCount },
                commitSeconds: Double(finished - started) / 1e9,
                waitSeconds: Double(finished - batch[0].enqueuedNanoseconds) / 1e9)
        }
        let waiters = stopped.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Commits `commands` in one transaction, growing the map and retrying when it is full;
    /// returns the answers of those applied, to deliver once the commit is published, and how
    /// many were: past `deadlineNanoseconds`, or past ``StoreConfiguration/transactionWeightMax``
    /// bytes of requests, the transaction takes no more (the writer puts the rest back at the
    /// head of the queue), so no transaction holds the writer, or its sync, long.
    private func commit(_ commands: [WriterCommand], deadlineNanoseconds: UInt64 = .max) -> (completions: [WriterCompletion], applied: Int) {
        if needsReopen, let failure = reopen() {
            return (commands.map { $0.failed(failure) }, commands.count)
        }
        while true {
            let time = max(clock.nowMilliseconds(), state.lastTimeMilliseconds)
            var afterCommit: [() -> Void] = []
            do {
                let (completions, committed) = try environment.write { transaction in
                    live.beginBatch(transaction)
                    var applier = BatchApplier(
                        transaction: transaction, layout: layout, state: state, timeMilliseconds: time, objectTypes: objectTypes,
                        idempotencyWindowMilliseconds: configuration.idempotencyWindowMilliseconds, live: live,
                        compression: (compressor, configuration.compressionThresholdBytes), sealing: layout.keyRing.map { ($0, sealer) })
                    var completions: [WriterCompletion] = []
                    var weight = 0
                    for command in commands {
                        completions.append(try applier.apply(command))
                        let (sum, overflow) = weight.addingReportingOverflow(command.weight)
                        weight = overflow ? .max : sum
                        if weight >= configuration.transactionWeightMax || DispatchTime.now().uptimeNanoseconds >= deadlineNanoseconds { break }
                    }
                    try applier.recordTenantBytes()
                    try applier.idempotency.purge(now: time, in: transaction)
                    afterCommit = applier.afterCommit
                    if let ring = layout.keyRing, !applier.madeKeys.isEmpty {
                        let made = applier.madeKeys
                        afterCommit.append { ring.remember(made) }
                    }
                    return (completions, applier.state)
                }
                state = committed
                state.lastTimeMilliseconds = time
                live.batchCommitted(nowMilliseconds: time)
                for action in afterCommit { action() }
                live.checkpoints.startWaiting()
                return (completions, completions.count)
            } catch let error as LMDBError where error == .mapFull {
                live.batchFailed()
                if let failure = grow() { return (commands.map { $0.failed(failure) }, commands.count) }
                continue
            } catch let failure as CommitError where failure.error == .mapFull {
                live.batchFailed()
                if let failure = grow() { return (commands.map { $0.failed(failure) }, commands.count) }
                continue
            } catch let failure as CommitError {
                live.batchFailed()
                // The sync may have failed half-way: nothing more is written on this environment.
                logger.error("commit failed; reopening the environment", metadata: ["error": "\(failure.error)"])
                needsReopen = true
                _ = reopen()
                let answer: EventStoreError = failure.error.isStorageFailure
                    ? .storageFull(reason: "the disk refused the write (\(failure.error.message))") : .storageFailure(failure.error)
                return (commands.map { $0.failed(answer) }, commands.count)
            } catch {
                live.batchFailed()
                // Something in one command broke the transaction: retry each alone so it fails alone.
                if commands.count > 1 { return (commands.flatMap { commit([$0]).completions }, commands.count) }
                let failure = Self.failure(error)
                logger.error("write failed", metadata: ["error": "\(failure)"])
                return (commands.map { $0.failed(failure) }, commands.count)
            }
        }
    }

    /// What a command that broke its transaction is answered with: the error itself when it is
    /// the store's (a corrupt record, say), LMDB's as a storage failure, and anything else (a
    /// stored state that no longer decodes) as a corrupt record with the error's own words.
    private static func failure(_ error: any Error) -> EventStoreError {
        switch error {
        case let error as EventStoreError: error
        case let error as LMDBError: .storageFailure(error)
        default: .corruptRecord(position: 0, reason: "\(error)")
        }
    }

    private func clearStaleReaders() {
        do {
            let cleared = try environment.clearStaleReaders()
            if cleared > 0 { logger.notice("cleared stale reader slots", metadata: ["readers.cleared": "\(cleared)"]) }
        } catch {
            logger.warning("reader check failed", metadata: ["error": "\(error)"])
        }
    }

    /// Grows the map after `MDB_MAP_FULL`; returns the failure to answer with when it cannot.
    private func grow() -> EventStoreError? {
        do {
            if try environment.growMap() {
                logger.info("map grown", metadata: ["map.bytes": "\(environment.configuration.mapSizeBytes)"])
                return nil
            }
            return .storageFull(reason: "the store reached its maximum size of \(environment.configuration.mapSizeMaxBytes) bytes (evtool serve --map-size-max-mib)")
        } catch {
            logger.error("map growth failed", metadata: ["error": "\(error)"])
            return .storageFailure(error)
        }
    }

    /// Reopens the environment and reloads the counters; returns the failure to answer with
    /// while it cannot.
    private func reopen() -> EventStoreError? {
        do {
            try environment.reopen()
            state = try environment.read { try WriterState.load(layout, $0) }
            needsReopen = false
            logger.notice("environment reopened", metadata: ["log.position": "\(state.nextPosition - 1)"])
            return nil
        } catch {
            logger.error("reopen failed", metadata: ["error": "\(error)"])
            return .storageFull(reason: "the storage failed and could not be reopened (\(error))")
        }
    }
}
