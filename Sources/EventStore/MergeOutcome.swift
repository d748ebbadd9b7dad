import EventModel

/// What a merge brought into its target, durable once returned.
public struct MergeOutcome: Sendable, Equatable {
    /// The branch merged into.
    public let target: StreamName
    /// How the events were brought in; nil when the target held them all (up to date).
    public let mode: MergeMode?
    /// The number of events appended to the target.
    public let events: Int
    /// The target's head after the merge.
    public let version: Seq
}

/// How a merge brought a branch's events into its target.
public enum MergeMode: String, Sendable, Equatable {
    /// The target's line was provably the branch's up to where the merge read: the events
    /// were appended as they are (their invariants still checked).
    case fastForward = "fast-forward"
    /// The events the target did not hold were folded on its state, every invariant held after
    /// each, and they were appended.
    case replayed
}
