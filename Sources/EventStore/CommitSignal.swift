import Dispatch
import EventModel
import Synchronization

/// Wakes log readers when the writer commits: readers wait for a position, the writer publishes
/// the last committed one. A waiter sleeps until a commit passes its position, the store
/// closes, or its task is cancelled.
public final class CommitSignal: Sendable {
    private struct State: Sendable {
        var committed: Position
        /// The first position of the last commit, and when it was published.
        var lastCommitFirst: Position = 0
        var lastCommitAt: ContinuousClock.Instant?
        var nudges: UInt64 = 0
        var isClosed = false
    }

    private let condition: AsyncCondition<State>
    /// Threads (not tasks) sleeping until the next commit: signalled by the writer's publish.
    private let sleepers = Mutex<[ObjectIdentifier: DispatchSemaphore]>([:])

    init(committed: Position) { condition = AsyncCondition(State(committed: committed)) }

    /// The last committed position.
    public var committedPosition: Position { condition.value.committed }

    /// Publishes `position` as committed and wakes every waiter.
    func publish(_ position: Position) {
        let now = ContinuousClock.now
        condition.update { state in
            guard position > state.committed else { return }
            state.lastCommitFirst = state.committed + 1
            state.lastCommitAt = now
            state.committed = position
        }
        wakeSleepers()
    }

    /// Blocks the calling thread until a position after `position` is committed, the store
    /// closes, `sleeper` is signalled (by its owner, to stop), or `seconds` pass: for a thread
    /// of its own that must not wait for a task to be scheduled to learn of a commit.
    public func sleep(after position: Position, on sleeper: DispatchSemaphore, seconds: Double) {
        let key = ObjectIdentifier(sleeper)
        sleepers.withLock { $0[key] = sleeper }
        defer { sleepers.withLock { _ = $0.removeValue(forKey: key) } }
        // A commit published before the sleeper was registered does not signal it.
        let state = condition.value
        guard state.committed <= position, !state.isClosed else { return }
        _ = sleeper.wait(timeout: .now() + seconds)
    }

    private func wakeSleepers() {
        let sleeping = sleepers.withLock { sleepers -> [DispatchSemaphore] in
            guard !sleepers.isEmpty else { return [] }
            defer { sleepers.removeAll() }
            return Array(sleepers.values)
        }
        for sleeper in sleeping { sleeper.signal() }
    }

    /// How long ago the commit holding `position` was published (after its sync), if it is the
    /// last commit; nil for an older one.
    public func sincePublished(_ position: Position) -> Duration? {
        let state = condition.value
        guard let at = state.lastCommitAt, position >= state.lastCommitFirst, position <= state.committed else { return nil }
        return .now - at
    }

    /// Whether the store has closed (no commit will come).
    public var isClosed: Bool { condition.value.isClosed }

    /// How many times waiters were woken without a new position (``nudge()``).
    public var nudges: UInt64 { condition.value.nudges }

    /// Wakes the waiters of ``wait(after:nudgesAfter:)`` with no new position: what they wait
    /// to do may have become possible (a reaction resumed).
    func nudge() {
        condition.update { $0.nudges += 1 }
    }

    /// Wakes every waiter for good: the store is closing.
    func close() {
        condition.update { $0.isClosed = true }
        wakeSleepers()
    }

    /// Returns once a position after `position` is committed, the store closes, or the task is
    /// cancelled; returns at once if one already is.
    public func wait(after position: Position) async {
        await condition.wait { $0.committed > position || $0.isClosed }
    }

    /// Returns as ``wait(after:)`` does, or once ``nudges`` has passed `nudges`.
    public func wait(after position: Position, nudgesAfter nudges: UInt64) async {
        await condition.wait { $0.committed > position || $0.nudges > nudges || $0.isClosed }
    }
}
