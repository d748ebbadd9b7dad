import EventModel
import Synchronization

/// Wakes log readers when the writer commits: readers wait for a position, the writer publishes
/// the last committed one. No polling: a waiter sleeps until a commit passes its position, the
/// store closes, or its task is cancelled.
public final class CommitSignal: Sendable {
    private struct State {
        var committed: Position
        var isClosed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    init(committed: Position) { state = Mutex(State(committed: committed)) }

    /// The last committed position.
    public var committedPosition: Position { state.withLock { $0.committed } }

    /// Publishes `position` as committed and wakes every waiter.
    func publish(_ position: Position) {
        let waiters = state.withLock { state in
            state.committed = max(state.committed, position)
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Wakes every waiter for good: the store is closing.
    func close() {
        let waiters = state.withLock { state in
            state.isClosed = true
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns once a position after `position` is committed, the store closes, or the task is
    /// cancelled; returns at once if one already is.
    public func wait(after position: Position) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.committed > position || state.isClosed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
