import EventModel

/// Every kind of write the single writer makes, each with the reply its caller waits for.
///
/// The reply's type is the case's own answer (an append's seqs, a merge's mode, a consumer's
/// record...), so the compiler checks that each write is answered with what its caller reads.
/// ``BatchApplier/apply(_:)`` makes each one inside the batch's transaction.
enum WriterCommand {
    /// Append validated events (or imported ones, with their times).
    case append(AppendRequest, WriterReply<AppendOutcome>)
    /// Run an object type's decider on the current state and append what it decides.
    case command(CommandRequest, WriterReply<CommandOutcome>)
    /// Fire a due timer through the object type's timer handler (nothing when it is no longer
    /// pending).
    case fireTimer(StreamName, timerId: String, WriterReply<Void>)
    /// Checkpoint every view of a branch at its head (its snapshot answered once written).
    case snapshot(StreamName, WriterReply<SnapshotTaken>)
    /// Store snapshots a reader folded again because the stored ones were unusable.
    case repairSnapshots(StreamName, [SnapshotRepair], WriterReply<Void>)
    /// Create a branch of `parent` at a seq (nil: the parent's head).
    case fork(StreamName, parent: BranchName, at: Seq?, WriterReply<BranchInfo>)
    /// Delete a branch with no branches of its own (never `main`).
    case deleteBranch(StreamName, expectedVersion: ExpectedVersion, WriterReply<Void>)
    /// Delete every branch of an object and free its event ids.
    case deleteObject(ObjectKey, WriterReply<Void>)
    /// Erase an object: its `ObjectErased` tombstone appended (unless `tombstone` is false: a
    /// restore whose log holds it already), every branch deleted, its data key destroyed.
    case erase(ObjectKey, tombstone: Bool, WriterReply<ObjectErasure>)
    /// Compact a stream's events up to a retention horizon (see ``RetentionCut``).
    case compact(RetentionCut, WriterReply<RetentionPass>)
    /// Bring into a branch what another branch of its object has that it does not.
    case merge(into: StreamName, expectedVersion: ExpectedVersion, source: BranchName, WriterReply<MergeOutcome>)
    /// Create a consumer or replace its filters.
    case putConsumer(name: String, filter: ConsumerFilter, start: ConsumerStart?, WriterReply<(consumer: Consumer, created: Bool)>)
    /// Acknowledge a consumer's events up to a position.
    case acknowledge(consumer: String, tenant: Tenant, position: Position, WriterReply<Consumer>)
    /// Delete a consumer, or park or drop a sink's batch.
    case consumer(ConsumerWrite, WriterReply<Void>)
    /// Store a new rebuild job, or answer the same one running.
    case createJob(RebuildJob, WriterReply<RebuildJob>)
    /// A rebuild job's chunk, end or recorded view versions.
    case job(JobWrite, WriterReply<Void>)
    /// Store a cross-object view's state and checkpoint.
    case storeLogView(LogViewWrite, WriterReply<Void>)
    /// Apply a reaction's step: its commands, its refusals as facts, its position.
    case react(ReactionStep, WriterReply<ReactionOutcome>)
    /// Pause a reaction (its steps are then refused) or resume it.
    case pauseReaction(String, paused: Bool, WriterReply<Void>)
    /// Forget everything stored of a cross-object view's version (to fold it again from the
    /// log's start).
    case resetLogView(AnyLogProjection, WriterReply<Void>)
    /// Store part of a view's checkpoint: rows, and with the last part its snapshot.
    case checkpoint(CheckpointWrite, WriterReply<Void>)
    /// A checkpoint job ended: its views' snapshots (with their last rows) to store, which make
    /// it count; or what stopped it (no snapshots then).
    case checkpointEnded(CheckpointJob, [CheckpointWrite], EventStoreError?, WriterReply<Void>)
    /// Checkpoint every live object with changes (what closing the store waits for).
    case checkpointAll(WriterReply<Void>)

    /// The bytes the command holds in the queue (its packed events), for the queue's bound.
    var bytes: Int {
        switch self {
        case .append(let request, _): request.events.storage.count
        default: 0
        }
    }

    /// The work it brings, in bytes: an append's events, a command's body (estimated from its
    /// tree), a checkpoint chunk's rows; a merge, an object's deletion and a rebuild's chunk as
    /// heavy as any; other writes (a fork, a consumer's acknowledgement...) 0.
    var weight: Int {
        switch self {
        case .append(let request, _): request.events.storage.count
        case .command(let request, _): request.weight
        case .checkpoint(let write, _): write.bytes
        case .checkpointEnded(_, let snapshots, _, _): snapshots.reduce(0) { $0 + $1.bytes }
        case .merge, .deleteObject, .erase, .compact, .job: .max
        default: 0
        }
    }

    /// Whether the engine sent it itself (a checkpoint's part or end, a piece of a cross-object
    /// view's write): the queue takes it even when full, and even once it refuses clients, so
    /// the state in memory always reaches storage (and a write is never left half-stored).
    var isInternal: Bool {
        switch self {
        case .checkpoint, .checkpointEnded, .checkpointAll, .storeLogView: true
        default: false
        }
    }

    /// The events it carries as given by its caller (decided ones are not known yet).
    var eventCount: Int {
        switch self {
        case .append(let request, _): request.eventCount
        default: 0
        }
    }

    /// Its answer when the whole batch failed with `error`.
    func failed(_ error: EventStoreError) -> WriterCompletion {
        switch self {
        case .append(_, let reply): reply.completion(.failure(error))
        case .command(_, let reply): reply.completion(.failure(error))
        case .fireTimer(_, _, let reply): reply.completion(.failure(error))
        case .snapshot(_, let reply): reply.completion(.failure(error))
        case .repairSnapshots(_, _, let reply): reply.completion(.failure(error))
        case .fork(_, _, _, let reply): reply.completion(.failure(error))
        case .deleteBranch(_, _, let reply): reply.completion(.failure(error))
        case .deleteObject(_, let reply): reply.completion(.failure(error))
        case .erase(_, _, let reply): reply.completion(.failure(error))
        case .compact(_, let reply): reply.completion(.failure(error))
        case .merge(_, _, _, let reply): reply.completion(.failure(error))
        case .putConsumer(_, _, _, let reply): reply.completion(.failure(error))
        case .acknowledge(_, _, _, let reply): reply.completion(.failure(error))
        case .consumer(_, let reply): reply.completion(.failure(error))
        case .createJob(_, let reply): reply.completion(.failure(error))
        case .job(_, let reply): reply.completion(.failure(error))
        case .storeLogView(_, let reply): reply.completion(.failure(error))
        case .react(_, let reply): reply.completion(.failure(error))
        case .pauseReaction(_, _, let reply): reply.completion(.failure(error))
        case .resetLogView(_, let reply): reply.completion(.failure(error))
        case .checkpoint(_, let reply): reply.completion(.failure(error))
        case .checkpointEnded(_, _, _, let reply): reply.completion(.failure(error))
        case .checkpointAll(let reply): reply.completion(.failure(error))
        }
    }
}

/// Where the writer sends one command's answer: the continuation its caller waits on.
struct WriterReply<Answer: Sendable>: Sendable {
    let continuation: UnsafeContinuation<Result<Answer, EventStoreError>, Never>

    /// What resumes the caller with `result`, run once the batch is committed (or failed).
    func completion(_ result: Result<Answer, EventStoreError>) -> WriterCompletion {
        WriterCompletion { continuation.resume(returning: result) }
    }
}

/// One command's answer, held until its batch is durable (or has failed), then delivered
/// exactly once with ``resume()``.
struct WriterCompletion {
    private let deliver: () -> Void

    init(_ deliver: @escaping () -> Void) { self.deliver = deliver }

    /// Resumes the caller.
    func resume() { deliver() }
}
