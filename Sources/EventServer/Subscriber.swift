import EventModel
import EventStore
import Synchronization

/// One stream, socket or long poll of the server waiting for commits: what it follows, and
/// the one place its waits and writes are timed.
///
/// A subscriber costs the same whatever the commit rate: a commit that concerns it sets one
/// flag (or resumes its one waiting task), a commit that does not never touches it, and its
/// deadlines are checked by the hub's one clock (``LogStreamHub``), not by a timer of its own
/// per wait or per write: it is filed on the clock's ``DeadlineWheel`` under its earliest
/// deadline, again only when a deadline comes before that.
final class Subscriber: Sendable {
    /// What a subscriber follows.
    enum Interest: Sendable {
        /// One object branch's events (a WebSocket, an object's stream).
        case stream(StreamName)
        /// The events of the log a filter passes (a log stream, a consumer's long poll or stream).
        case log(ConsumerFilter)
    }

    private struct State {
        /// A commit that concerns it came while it was not waiting.
        var signalled = false
        /// Its waiting task, and when the wait ends without a commit.
        var waiter: CheckedContinuation<Bool, Never>?
        var waitDeadline: ContinuousClock.Instant?
        /// Writes under way (a socket's replies and events may overlap), and when the oldest
        /// must have finished.
        var writes = 0
        var writeDeadline: ContinuousClock.Instant?
        /// The hub is closing: every wait returns at once.
        var isClosed = false
        /// The clock's tick it is filed under.
        var filedAt: Int64?

        /// Makes sure the clock looks at it by `deadline`.
        mutating func schedule(_ deadline: ContinuousClock.Instant, _ subscriber: Subscriber) {
            let tick = subscriber.wheel.tick(of: deadline)
            if let filedAt, filedAt <= tick { return }
            filedAt = subscriber.wheel.file(subscriber, at: tick)
        }
    }

    /// The number the hub knows it by.
    let id: Int
    let interest: Interest
    /// Called once, from the hub's clock, when a write took longer than its timeout: it must
    /// close the connection (the peer stopped reading; its buffers are freed with it).
    let onStall: @Sendable () -> Void
    /// The hub's clock.
    private let wheel: DeadlineWheel
    private let state = Mutex(State())

    init(id: Int, interest: Interest, wheel: DeadlineWheel, onStall: @escaping @Sendable () -> Void) {
        self.id = id
        self.interest = interest
        self.wheel = wheel
        self.onStall = onStall
    }

    /// Waits for a commit that concerns it since its last wait; returns false when `timeout`
    /// passed first (time for a heartbeat), true for a commit, when the hub closes, or when the
    /// task is cancelled. Takes no timer: the hub's clock ends the wait.
    func wait(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.signalled || state.isClosed || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = continuation
                    state.waitDeadline = deadline
                    state.schedule(deadline, self)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            resumeWaiter(returning: true)
        }
    }

    /// Runs `write`, and has the hub call ``onStall`` if it has not returned within `timeout`
    /// (with writes overlapping, the ones left get a new `timeout` whenever one returns: the
    /// peer is reading).
    func write<T>(timeout: Duration, _ write: () async throws -> T) async throws -> T {
        writeBegins(timeout: timeout)
        defer { writeEnded(timeout: timeout) }
        return try await write()
    }

    /// A write begins that must end within `timeout` (``write(timeout:_:)`` for one that
    /// cannot be a closure); ``writeEnded(timeout:)`` must follow it.
    func writeBegins(timeout: Duration) {
        state.withLock { state in
            state.writes += 1
            guard state.writes == 1 else { return }
            let deadline = ContinuousClock.now + timeout
            state.writeDeadline = deadline
            state.schedule(deadline, self)
        }
    }

    /// The write begun with ``writeBegins(timeout:)`` ended.
    func writeEnded(timeout: Duration) {
        state.withLock { state in
            state.writes -= 1
            guard state.writes > 0 else {
                state.writeDeadline = nil
                return
            }
            let deadline = ContinuousClock.now + timeout
            state.writeDeadline = deadline
            state.schedule(deadline, self)
        }
    }

    /// A commit concerns it: resumes its wait, or marks it for the next one.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            state.waitDeadline = nil
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Whether a commit that concerns it came since its last wait, forgetting it: false means
    /// every commit the hub followed since then passed it by.
    func takeSignal() -> Bool {
        state.withLock { state in
            defer { state.signalled = false }
            return state.signalled || state.isClosed
        }
    }

    /// Ends every wait, now and later.
    func close() {
        state.withLock { $0.isClosed = true }
        resumeWaiter(returning: true)
    }

    /// What the hub's clock finds at `now`, looking at it for the tick `tick` it was filed
    /// under: a wait that ended (resumed, false) and whether a write stalled (its deadline is
    /// cleared, so the stall is reported once). A deadline still to come files it again.
    func tick(_ now: ContinuousClock.Instant, filedAt tick: Int64) -> Bool {
        let (waiter, stalled) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Bool) in
            // Filed again under an earlier tick since: that one has looked at it.
            guard state.filedAt == tick else { return (nil, false) }
            state.filedAt = nil
            var waiter: CheckedContinuation<Bool, Never>?
            if let deadline = state.waitDeadline, deadline <= now {
                waiter = state.waiter
                state.waiter = nil
                state.waitDeadline = nil
            }
            var stalled = false
            if let deadline = state.writeDeadline, deadline <= now {
                state.writeDeadline = nil
                stalled = true
            }
            let next = state.waitDeadline.map { wait in state.writeDeadline.map { min(wait, $0) } ?? wait } ?? state.writeDeadline
            if let next { state.schedule(next, self) }
            return (waiter, stalled)
        }
        waiter?.resume(returning: false)
        return stalled
    }

    private func resumeWaiter(returning value: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            defer {
                state.waiter = nil
                state.waitDeadline = nil
            }
            return state.waiter
        }
        waiter?.resume(returning: value)
    }
}
