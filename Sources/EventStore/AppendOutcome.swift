import EventModel

/// What an acknowledged append got: its seqs and positions, durable once returned.
public struct AppendOutcome: Sendable, Equatable {
    /// The stream appended to.
    public let stream: StreamName
    /// The seq of the request's first event.
    public let firstSeq: Seq
    /// The seq of the request's last event; also the object's version right after the append.
    public let lastSeq: Seq
    /// The position of the request's first event.
    public let firstPosition: Position
    /// The position of the request's last event.
    public let lastPosition: Position
    /// Commit time, ms since the epoch.
    public let timeMilliseconds: Int64
    /// True when every event id had been appended before by the same request: nothing new was
    /// written and the numbers are the original ones.
    public internal(set) var isDuplicate: Bool
    /// For a command: the events its decider appended, as committed.
    public var events: [RecordedEvent] = []
    /// For a command: the state of the view its decider reads, after the events.
    public var viewState: JSONValue?
    /// For a merge: how the events were brought in (nil when there was nothing to merge).
    public var merge: MergeMode?
    /// For a consumer's write: its record after it.
    public var consumer: Consumer?
    /// For a rebuild job's creation: the job stored (or the one already running).
    public var job: RebuildJob?

    init(
        stream: StreamName, firstSeq: Seq, lastSeq: Seq, firstPosition: Position, lastPosition: Position, timeMilliseconds: Int64,
        isDuplicate: Bool
    ) {
        self.stream = stream
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.timeMilliseconds = timeMilliseconds
        self.isDuplicate = isDuplicate
    }
}

/// How a merge brought a branch's events into its target.
public enum MergeMode: String, Sendable, Equatable {
    /// The target had not moved since the branch left it: the events were appended as they are.
    case fastForward = "fast-forward"
    /// The target had moved: the events were replayed on its state, every invariant held after
    /// each, and they were appended.
    case replayed
}
