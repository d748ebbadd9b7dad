import EventModel
import Foundation
import LMDB
import Logging
import Synchronization
import Zstd

/// The engine: a durable, append-only event log per object, with a global log in commit order.
///
/// Guarantees:
/// - an append that returns is durable (synced), and keeps its seqs and positions forever;
/// - seqs are dense per stream from 1, positions dense across the store from 1, in commit order;
/// - a request's events are appended all together or not at all;
/// - event ids are unique: a retried request gets its original numbers back;
/// - one process at a time: a second opener of the data folder is refused.
///
/// Reads run on the caller's thread in short LMDB read transactions and never block the writer.
public final class EventStore: Sendable {
    /// The settings the store was opened with.
    public let configuration: StoreConfiguration
    /// Wakes log readers on every commit.
    public let commits: CommitSignal
    /// The object types with views and commands, by name.
    public let objectTypes: [String: ObjectTypeDefinition]
    /// The views over the whole log (see ``catchUpLogViews(limit:)``).
    public let logViews: [AnyLogProjection]
    /// The reactions it runs (``runReactions(limit:commandsMax:)``).
    public let reactions: [AnyReaction]
    /// How far each reaction has run over positions that caused nothing, beyond its stored
    /// position: such a stretch is not written (a transaction and a sync for nothing); a restart
    /// runs over it again, causing nothing again.
    let reactionCursors = Mutex<[String: Position]>([:])
    /// Their typed states between catch-ups.
    let logViewCache = LogViewCache()
    let environment: Environment
    let layout: StoreLayout
    private let queue: AppendQueue
    private let writer: GroupCommitWriter
    /// The objects the writer keeps live (readers look at their committed states).
    let live: LiveObjects
    private let lock: DataFolderLock
    let clock: any Clock
    let logger: Logger
    private let isClosed = Mutex(false)

    /// Opens (or creates) the store in `configuration.directory` and starts its writer.
    /// - Parameters:
    ///   - objectTypes: the object types whose views are kept current with every append and
    ///     whose commands the writer runs.
    ///   - holder: how this process describes itself to a second opener (e.g. "evtool serve").
    /// - Throws: ``EventStoreError/dataFolderInUse(path:holder:)`` when another process has it;
    ///   ``EventStoreError/dataFolderUnusable(path:reason:)`` or
    ///   ``EventStoreError/storageFailure(_:)`` when it cannot be opened.
    public init(
        configuration: StoreConfiguration, objectTypes: [String: ObjectTypeDefinition] = [:], logViews: [AnyLogProjection] = [],
        reactions: [AnyReaction] = [],
        clock: any Clock = SystemClock(),
        holder: String = "evlog",
        logger: Logger = Logger(label: "evlog.store"), observer: (any StoreObserver)? = nil
    ) throws(EventStoreError) {
        let directory = configuration.directory
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .dataFolderUnusable(path: directory, reason: String(cString: strerror(errno)))
        }
        lock = try DataFolderLock(directory: directory, holder: "\(holder), pid \(getpid())")
        do {
            environment = try Environment(
                configuration: .init(
                    directory: directory, databaseNames: StoreLayout.databaseNames,
                    mapSizeBytes: configuration.mapSizeBytes, mapSizeMaxBytes: configuration.mapSizeMaxBytes))
        } catch {
            lock.release()
            throw .storageFailure(error)
        }
        let environment = self.environment
        let layout = StoreLayout(environment, masterKey: configuration.masterKey)
        self.layout = layout
        let state: WriterState
        do {
            try Self.checkFormat(environment, layout, directory: directory)
            try environment.write { transaction in
                if let master = configuration.masterKey {
                    try ObjectKeyRing.checkMaster(master, layout: layout, transaction: transaction, directory: directory)
                } else if try ObjectKeyRing.isSealed(layout: layout, transaction: transaction) {
                    throw EventStoreError.dataFolderUnusable(
                        path: directory, reason: "its objects are sealed: open it with its master key (--master-key-file FILE, or EVLOG_MASTER_KEY)")
                }
            }
            state = try environment.read { try WriterState.load(layout, $0) }
        } catch {
            environment.close()
            lock.release()
            if let error = error as? EventStoreError { throw error }
            throw .storageFailure(error as? LMDBError ?? LMDBError(code: -1))
        }
        self.configuration = configuration
        self.objectTypes = objectTypes
        self.logViews = logViews
        self.reactions = reactions
        self.clock = clock
        self.logger = logger
        commits = CommitSignal(committed: state.nextPosition - 1)
        queue = AppendQueue(requestsMax: configuration.queueRequestsMax, bytesMax: configuration.queueBytesMax, heavyBytes: configuration.heavyRequestBytes)
        live = LiveObjects(
            layout: layout, objectTypes: objectTypes, configuration: configuration.live, snapshotIntervalEvents: configuration.snapshotIntervalEvents,
            logger: logger)
        writer = GroupCommitWriter(
            environment: environment, layout: layout, queue: queue, signal: commits, clock: clock,
            configuration: configuration, objectTypes: objectTypes, logger: logger, observer: observer, state: state, live: live)
        live.checkpoints.writer = Checkpoints.Writer(
            write: { [unowned self] write throws(EventStoreError) in try await submit { .checkpoint(write, $0) } },
            finish: { [unowned self] job, snapshots, failure in
                // The writer must hear of the end, or the object would wait for ever: tried
                // until it does, or the store is closed; snapshots that cannot be written make
                // it a failed one.
                var (snapshots, failure) = (snapshots, failure)
                while true {
                    do throws(EventStoreError) {
                        return try await submit { [snapshots, failure] in .checkpointEnded(job, snapshots, failure, $0) }
                    } catch .closed {
                        return
                    } catch {
                        if !snapshots.isEmpty {
                            (snapshots, failure) = ([], error)
                            continue
                        }
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            })
        writer.start()
        logger.info("store opened", metadata: ["store.directory": "\(directory)", "log.position": "\(state.nextPosition - 1)"])
    }

    deinit {
        // Lets the writer thread finish if the owner never called close().
        queue.close()
    }

    /// Records the format on first open, upgrades a folder of an earlier format, and refuses one
    /// of a format this build does not know.
    private static func checkFormat(_ environment: Environment, _ layout: StoreLayout, directory: String) throws {
        let key = Array("format".utf8)
        let stored = try environment.read { transaction in
            try key.withUnsafeBytes { try transaction.get(layout.meta, key: $0).map { StoreKeys.integer($0) } }
        }
        if let stored {
            guard stored != StoreLayout.formatVersion else { return }
            guard (1..<StoreLayout.formatVersion).contains(stored) else {
                throw EventStoreError.dataFolderUnusable(
                    path: directory, reason: "it holds format \(stored); this build reads formats 1 to \(StoreLayout.formatVersion)")
            }
        }
        try environment.write { transaction in
            if let stored { try StoreMigration.upgrade(from: stored, layout: layout, transaction: transaction) }
            try key.withUnsafeBytes { key in
                try StoreKeys.withKey(StoreLayout.formatVersion) { try transaction.put(layout.meta, key: key, value: $0) }
            }
        }
    }

    /// Appends `request`'s events: validated, queued for the writer, committed with others in
    /// one transaction, and returned once durable.
    /// - Throws: ``EventStoreError/versionConflict(stream:expected:actual:)``,
    ///   ``EventStoreError/eventIDConflict(stream:ids:)``, ``EventStoreError/queueFull``,
    ///   ``EventStoreError/storageFull(reason:)``, ``EventStoreError/closed``; in each case
    ///   nothing of the request was written.
    public func append(_ request: AppendRequest) async throws(EventStoreError) -> AppendOutcome {
        try await append(request, restoring: false)
    }

    /// ``append(_:)``, or with `restoring` (an archive imported) also to objects only the
    /// engine or commands may write: a restore puts back what they wrote.
    func append(_ request: AppendRequest, restoring: Bool) async throws(EventStoreError) -> AppendOutcome {
        guard request.eventCount > 0 else { throw .invalidRequest(field: "/events", reason: "must hold at least one event") }
        // Its facts are the refusals the writer met running a reaction's commands: a reaction
        // reacts to them, so nobody else may write one.
        guard restoring || request.stream.object.type.name != AnyReaction.objectType else {
            throw .invalidRequest(field: "type", reason: "is \(AnyReaction.objectType), whose objects only the engine writes (the refusals of a reaction's commands)")
        }
        if !restoring, request.stream.branch == .main, let definition = objectTypes[request.stream.object.type.name], definition.commandsOnly {
            throw .commandsOnly(request.stream.object, commands: definition.commands.keys.sorted())
        }
        var request = request
        // One system random number per request seeds the ids of all its events.
        var generator = SplitMix64(seed: UInt64.random(in: .min ... .max))
        let now = clock.nowMilliseconds()
        request.events.assignMissingIDs { EventID.version7(milliseconds: now, using: &generator) }
        if request.dataValues.isEmpty, objectTypes[request.stream.object.type.name]?.views.isEmpty == false {
            // Parsed here, on the caller's task, so the single writer never parses event data.
            do {
                request.dataValues = try request.events.slots.indices.map { try request.events.parsedData($0) }
            } catch {
                throw .invalidRequest(field: "/events", reason: "data is not valid JSON")
            }
        }
        let threshold = configuration.compressionThresholdBytes
        if request.events.slots.contains(where: { $0.payloadCount > threshold }) {
            CompressorPool.shared.with { request.events.compress(thresholdBytes: threshold, using: $0) }
        }
        let pending = request
        return try await submit { .append(pending, $0) }
    }

    /// Runs the command `request.name` on its object: the object type's decider decides on the
    /// current state, in the object's single writer, and what it decides is appended
    /// atomically and returned once durable.
    /// - Throws: ``EventStoreError/rejected(_:)`` with the decider's refusal,
    ///   ``EventStoreError/invalidRequest(field:reason:)`` for a command the type does not have,
    ///   ``EventStoreError/versionConflict(stream:expected:actual:)``,
    ///   ``EventStoreError/branchNotFound(_:)``; in each case nothing was written.
    public func run(_ request: CommandRequest) async throws(EventStoreError) -> CommandOutcome {
        guard let decider = objectTypes[request.stream.object.type.name]?.commands[request.name] else {
            throw .invalidRequest(field: "command", reason: "\(request.stream.object.type) has no command \(request.name)")
        }
        var request = request
        // Decoded here, on the caller's task, so the single writer never decodes a command.
        switch decider.prepare(request.body) {
        case .failure(let rejection): throw .rejected(rejection)
        case .success(let command): request.prepared = command
        }
        request.weight = request.body.estimatedBytes
        let pending = request
        return try await submit { .command(pending, $0) }
    }

    /// Queues the command `make` builds around its reply and waits for the writer's answer,
    /// delivered once the command's batch is durable (or refused by the queue now).
    func submit<Answer: Sendable>(_ make: (WriterReply<Answer>) -> WriterCommand) async throws(EventStoreError) -> Answer {
        // Resumed exactly once: by the queue's refusal here, or by the writer after commit.
        let result = await withUnsafeContinuation { continuation in
            let command = make(WriterReply(continuation: continuation))
            let item = PendingWrite(command: command, bytes: command.bytes, enqueuedNanoseconds: DispatchTime.now().uptimeNanoseconds, weight: command.weight)
            if let refusal = queue.enqueue(item) { continuation.resume(returning: .failure(refusal)) }
        }
        return try result.get()
    }

    /// Checkpoints every live object with changes not checkpointed yet, and returns once all are
    /// written: after it, every view's newest snapshot is at its object's head.
    /// - Throws: what stopped a checkpoint (storage full or failed).
    public func checkpoint() async throws(EventStoreError) {
        try await submit { .checkpointAll($0) }
    }

    /// What the live objects hold, as the writer last counted it: objects, rows, and their
    /// memory, estimated (what ``LiveConfiguration/bytesMax`` bounds).
    public var liveStatistics: LiveStatistics { live.statistics }

    /// The time on the store's clock (the one commit times come from), ms since the epoch.
    public var clockMilliseconds: Int64 { clock.nowMilliseconds() }

    /// Requests and bytes waiting for the writer now.
    public var queueDepth: (requests: Int, bytes: Int) { queue.depth }

    /// Stops taking appends, lets the writer commit everything already queued, checkpoints every
    /// live object (so the next open wakes each from its checkpoint alone), wakes every log
    /// reader and closes the environment. Calling it again does nothing.
    public func close() async {
        let alreadyClosed = isClosed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        queue.refuseClients()
        do {
            try await submit { .checkpointAll($0) }
        } catch {
            logger.warning("live objects not all checkpointed at close; they wake from their last checkpoint and the log", metadata: ["error": "\(error)"])
        }
        queue.close()
        await writer.waitUntilStopped()
        commits.close()
        environment.close()
        lock.release()
    }

    /// Runs `body` in a read transaction, mapping LMDB's errors to ``EventStoreError``.
    func read<R>(_ body: (ReadTransaction) throws -> R) throws(EventStoreError) -> R {
        do {
            return try environment.read(body)
        } catch let error as EventStoreError {
            throw error
        } catch let error as LMDBError {
            throw error == .environmentClosed ? .closed : .storageFailure(error)
        } catch {
            // Stored bytes that do not parse as JSON, or a stored state its view cannot decode.
            throw .corruptRecord(position: 0, reason: "\(error)")
        }
    }
}

