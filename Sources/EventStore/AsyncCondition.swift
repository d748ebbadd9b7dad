import Synchronization

/// A value that tasks can wait on: `wait(until:)` returns once the value satisfies a predicate;
/// `update(_:)` changes it and wakes every waiter to check again. No polling, and a waiting
/// task that is cancelled returns at once.
public final class AsyncCondition<Value: Sendable>: Sendable {
    private struct State {
        var value: Value
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state: Mutex<State>

    /// A condition holding `value`.
    public init(_ value: Value) { state = Mutex(State(value: value)) }

    /// The current value.
    public var value: Value { state.withLock { $0.value } }

    /// Changes the value and wakes every waiter.
    public func update(_ change: (inout Value) -> Void) {
        let waiters = state.withLock { state in
            change(&state.value)
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns once `isReady(value)` holds, or the task is cancelled.
    public func wait(until isReady: @escaping @Sendable (Value) -> Bool) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        while !Task.isCancelled {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if isReady(state.value) || Task.isCancelled { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
            if isReady(value) { return }
        }
    }
}
