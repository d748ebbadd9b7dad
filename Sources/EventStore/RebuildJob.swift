import EventModel

/// A job that rebuilds one view of every object (of one type, or of every type that has it)
/// after the view's version changed: each object's view is folded again from its events and
/// checkpointed (its rows, then a snapshot every snapshot interval and at its head), so waking
/// the object or reading it as of any point starts from a snapshot of the new version.
///
/// Objects are taken in chunks of stream numbers. A chunk's last checkpoints and its mark as
/// done are written in one transaction; a large object's earlier ones go first, each snapshot
/// after its rows, so a job stopped anywhere (even by `kill -9`) resumes at the chunks not
/// marked, and never leaves a snapshot whose rows are missing.
public struct RebuildJob: Sendable, Equatable {
    /// Where a job is.
    public enum State: String, Sendable {
        /// Folding (or stopped in the middle, to be resumed).
        case running
        /// Every chunk done.
        case done
        /// Stopped by an error (the message says which).
        case failed
    }

    /// The job's number (given by the writer when the job is stored).
    public internal(set) var id: UInt64
    /// The view rebuilt.
    public let view: String
    /// The object type, or nil for every type that has the view.
    public let type: String?
    /// The version of the view it folds, by object type: a job whose versions are no longer
    /// the code's is never resumed.
    public let versions: [String: Int]
    /// How many workers fold at once.
    public let jobs: Int
    /// Whether objects whose stored state is the current version at their head are folded
    /// again too (to repair what `verify` found).
    public let force: Bool
    /// Where it is.
    public internal(set) var state: State
    /// Chunks of stream numbers in all.
    public let chunksTotal: UInt64
    /// Chunks done.
    public internal(set) var chunksDone: UInt64
    /// Objects (branches) whose view was rebuilt.
    public internal(set) var objects: UInt64
    /// Events folded.
    public internal(set) var events: UInt64
    /// When it started, ms since the epoch.
    public let startedMilliseconds: Int64
    /// When it finished, if it did.
    public internal(set) var finishedMilliseconds: Int64?
    /// What stopped it, if it failed.
    public internal(set) var message: String?

    /// The fraction done, 0 to 1.
    public var progress: Double { chunksTotal == 0 ? 1 : Double(chunksDone) / Double(chunksTotal) }

    /// As JSON: `{"id", "view", "type", "jobs", "state", "chunksTotal", "chunksDone", "objects",
    /// "events", "started", "finished", "message", "progress"}`.
    public var json: JSONValue {
        [
            "id": .number(Double(id)), "view": .string(view), "type": type.map(JSONValue.string) ?? .null, "jobs": .number(Double(jobs)),
            "force": .bool(force), "versions": .object(versions.mapValues { .number(Double($0)) }),
            "state": .string(state.rawValue), "chunksTotal": .number(Double(chunksTotal)), "chunksDone": .number(Double(chunksDone)),
            "objects": .number(Double(objects)), "events": .number(Double(events)), "started": .number(Double(startedMilliseconds)),
            "finished": finishedMilliseconds.map { .number(Double($0)) } ?? .null, "message": message.map(JSONValue.string) ?? .null,
            "progress": .number((progress * 1000).rounded() / 1000),
        ]
    }

    init(id: UInt64, view: String, type: String?, versions: [String: Int], jobs: Int, force: Bool, chunksTotal: UInt64, startedMilliseconds: Int64) {
        self.id = id
        self.view = view
        self.type = type
        self.versions = versions
        self.jobs = jobs
        self.force = force
        self.state = .running
        self.chunksTotal = chunksTotal
        self.chunksDone = 0
        self.objects = 0
        self.events = 0
        self.startedMilliseconds = startedMilliseconds
    }

    /// Reads a stored job back.
    init?(json: JSONValue) {
        guard let id = json["id"]?.integerValue, let view = json["view"]?.stringValue, let jobs = json["jobs"]?.integerValue,
            let state = json["state"]?.stringValue.flatMap(State.init), let chunksTotal = json["chunksTotal"]?.integerValue,
            let chunksDone = json["chunksDone"]?.integerValue, let objects = json["objects"]?.integerValue,
            let events = json["events"]?.integerValue, let started = json["started"]?.integerValue
        else { return nil }
        self.id = UInt64(id)
        self.view = view
        self.type = json["type"]?.stringValue
        if case .object(let stored)? = json["versions"] { versions = stored.compactMapValues(\.integerValue) } else { versions = [:] }
        self.jobs = jobs
        self.force = json["force"] == .bool(true)
        self.state = state
        self.chunksTotal = UInt64(chunksTotal)
        self.chunksDone = UInt64(chunksDone)
        self.objects = UInt64(objects)
        self.events = UInt64(events)
        self.startedMilliseconds = Int64(started)
        self.finishedMilliseconds = json["finished"]?.integerValue.map(Int64.init)
        self.message = json["message"]?.stringValue
    }
}

/// What a rebuild asks of the writer besides creating its job.
enum JobWrite {
    /// Store the last checkpoints of chunk `chunk` of job `job`, mark the chunk done and count
    /// its objects and events.
    case installChunk(job: UInt64, chunk: UInt64, checkpoints: [CheckpointWrite], objects: UInt64, events: UInt64)
    /// Mark the job finished (done or failed) and drop its chunk marks.
    case finish(job: UInt64, state: RebuildJob.State, message: String?)
    /// Remember the version of each `(type, view)` the stored states are now of.
    case recordVersions([(type: String, view: String, version: Int)])
}
