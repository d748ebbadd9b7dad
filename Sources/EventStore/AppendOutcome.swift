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
    public let isDuplicate: Bool
    /// True when the answer is the remembered one of an earlier request with the same
    /// idempotency key: nothing was written now.
    public internal(set) var isReplay = false

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
