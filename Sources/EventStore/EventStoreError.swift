import EventModel
import LMDB

/// Everything the engine can refuse or fail with. Each case maps to one problem type over HTTP
/// and to one message in the CLI.
public enum EventStoreError: Error, Sendable, Equatable {
    /// The expected version did not match the object's head. Nothing was written.
    case versionConflict(stream: StreamName, expected: UInt64, actual: UInt64)
    /// Some of the request's event ids were appended before, but not as this same request
    /// (other ids, another object, or another order). Nothing was written.
    case eventIDConflict(stream: StreamName, ids: [EventID])
    /// The request breaks a size limit (the field names which one). Nothing was written.
    case requestTooLarge(field: String, limit: Int, actual: Int)
    /// The request is malformed (no events, an invalid event type); `field` is a JSON Pointer.
    /// Nothing was written.
    case invalidRequest(field: String, reason: String)
    /// The object's decider refused the command; nothing was written.
    case rejected(Rejection)
    /// The write queue is full; retry after a moment. Nothing was written.
    case queueFull
    /// The map reached its configured maximum, or the disk is full (`ENOSPC`/`EIO` at commit).
    /// Nothing of the failed batch is durable; reads keep working.
    case storageFull(reason: String)
    /// LMDB failed in another way; the message says how.
    case storageFailure(LMDBError)
    /// A stored record failed its CRC32C or its index check: the data is damaged.
    case corruptRecord(position: Position, reason: String)
    /// The object has no such branch (or, for `main`, no events). Nothing was written.
    case branchNotFound(StreamName)
    /// A branch of that name exists already. Nothing was written.
    case branchExists(StreamName)
    /// The branch has branches of its own (named), which must be deleted first.
    case branchHasChildren(StreamName, children: [String])
    /// A merge replayed the branch's events on a target that had moved, and an invariant broke
    /// after one of them. Nothing was written.
    case invariantBroken(InvariantBreach)
    /// No consumer has that name.
    case consumerNotFound(String)
    /// The sink has no batch parked at that first position.
    case parkedBatchNotFound(sink: String, position: Position)
    /// A request names a log position past the last committed one (a consumer's start or
    /// acknowledgement, a view read's `at`); `field` says where. Nothing was written.
    case positionPastHead(field: String, position: Position, head: Position)
    /// The idempotency key was used, within the window, for another request (another body,
    /// command or kind) on the same object branch. Nothing was written.
    case idempotencyKeyReused(key: String)
    /// The store is closed (or closing) and takes no more appends.
    case closed
    /// Another process holds the data folder.
    case dataFolderInUse(path: String, holder: String)
    /// The data folder cannot be used (permissions, not a directory, ...).
    case dataFolderUnusable(path: String, reason: String)
    /// An append or merge into `main` of an object whose type changes there by its commands
    /// only (`commands`: the ones it has). Nothing was written.
    case commandsOnly(ObjectKey, commands: [String])
    /// The object was erased at this time (ms since the epoch): its data key is destroyed and
    /// nothing of it can be read or written again.
    case objectErased(ObjectKey, at: Int64)
    /// Erasure needs sealing: the store was opened without a master key.
    case sealingOff
    /// The events asked for were compacted by their type's retention: only the views' states
    /// at the horizon, and the events after it, are kept.
    case compacted(RetentionHorizon)
}

extension EventStoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .versionConflict(let stream, let expected, let actual):
            "version conflict on \(stream): expected version \(expected), the object is at \(actual)"
        case .eventIDConflict(let stream, let ids):
            "event ids already appended elsewhere or as part of another request (\(stream)): \(ids.map(\.description).joined(separator: ", "))"
        case .requestTooLarge(let field, let limit, let actual):
            "\(field) is \(actual), above the limit of \(limit)"
        case .invalidRequest(let field, let reason): "\(field) \(reason)"
        case .rejected(let rejection): "\(rejection.code): \(rejection.message)"
        case .queueFull: "the write queue is full; retry shortly"
        case .storageFull(let reason): "storage full: \(reason)"
        case .storageFailure(let error): "storage failure: \(error)"
        case .corruptRecord(let position, let reason): "damaged record at position \(position): \(reason)"
        case .branchNotFound(let stream):
            stream.branch == .main ? "\(stream.object) has no events" : "\(stream.object) has no branch \(stream.branch)"
        case .branchExists(let stream): "\(stream.object) already has a branch \(stream.branch)"
        case .branchHasChildren(let stream, let children):
            "\(stream) has branches of its own (\(children.joined(separator: ", "))); delete them first"
        case .invariantBroken(let breach):
            "merging would break \(breach.invariant) (\(breach.summary)) after event \(breach.seq) (\(breach.eventType), \(breach.eventID)) of \(breach.stream); nothing was written"
        case .consumerNotFound(let name): "there is no consumer \(name); create it with PUT /v1/consumers/\(name)"
        case .parkedBatchNotFound(let sink, let position): "\(sink) has no batch parked at \(position); GET /v1/sinks/parked lists them"
        case .positionPastHead(let field, let position, let head): "\(field) is position \(position), past the last committed one (\(head))"
        case .idempotencyKeyReused(let key):
            "the idempotency key \(key) was used for another request on this object; send a new key for a new request"
        case .closed: "the store is closed"
        case .dataFolderInUse(let path, let holder):
            "the data folder \(path) is in use by \(holder); stop it, or talk to it with --url"
        case .dataFolderUnusable(let path, let reason): "cannot use the data folder \(path): \(reason)"
        case .commandsOnly(let object, let commands):
            "\(object) is a \(object.type), whose main changes by its commands only (\(commands.joined(separator: ", "))): no append or merge writes it; do it on a branch to try things"
        case .objectErased(let object, let time):
            "\(object) was erased at \(time) ms since the epoch: its events, views and snapshots cannot be read, and it takes no new ones"
        case .sealingOff:
            "erasure needs objects sealed: open the store with a master key (evtool serve --master-key-file FILE, or EVLOG_MASTER_KEY)"
        case .compacted(let horizon):
            "the events up to seq \(horizon.seq) (committed at \(horizon.milliseconds) ms since the epoch) were compacted by the type's retention: read, fork or travel to seq \(horizon.seq) or later"
        }
    }
}

/// Where a merge broke an invariant: the branch's event after which it stopped holding.
public struct InvariantBreach: Sendable, Equatable {
    /// The branch being merged.
    public let stream: StreamName
    /// The event's seq on that branch.
    public let seq: Seq
    /// The event's id.
    public let eventID: EventID
    /// The event's type.
    public let eventType: String
    /// The invariant's name.
    public let invariant: String
    /// What the invariant requires.
    public let summary: String
}
