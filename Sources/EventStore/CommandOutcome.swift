import EventModel

/// What an acknowledged command did: the events its decider appended (none when it decided
/// nothing was needed), durable once returned, and, when asked for, the state of the view it
/// read, after them.
public struct CommandOutcome: Sendable, Equatable {
    /// The object and branch.
    public let stream: StreamName
    /// The events appended, as committed, in seq order.
    public let events: [RecordedEvent]
    /// The global position of the first event appended (meaningless when there is none).
    public let firstPosition: Position
    /// The branch's head after the command.
    public let version: Seq
    /// The state (a keyed view's summary) of the view the decider reads, after the events, as
    /// compact JSON: only when the request asked for it, and never in a replayed answer (read
    /// the view at ``version`` for it).
    public let state: [UInt8]?
    /// True when the answer is the remembered one of an earlier request with the same
    /// idempotency key: nothing was decided or written now.
    public var isReplay = false
}
