import EventModel
import EventStore
import ServiceLifecycle
import Synchronization

/// Ends the server's long-lived log streams on graceful shutdown.
///
/// The HTTP server waits for running requests before it stops, and a log stream never ends by
/// itself; so this service, shut down before the server, tells every stream to finish.
public final class LogStreamHub: Service, Sendable {
    private struct State {
        var isClosing = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// A hub with no streams.
    public init() {}

    /// True once shutdown has begun.
    var isClosing: Bool { state.withLock { $0.isClosing } }

    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Tells every stream to finish: each ends its response after the events it has sent.
    public func close() {
        let waiters = state.withLock { state in
            state.isClosing = true
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Waits for a commit after `position`; returns false when `timeout` passed first (time
    /// for a heartbeat). Returns early, true, when shutdown begins.
    func waitForCommit(after position: Position, store: EventStore, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await store.commits.wait(after: position)
                return true
            }
            group.addTask {
                await self.waitUntilClosing()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }

    private func waitUntilClosing() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.isClosing || Task.isCancelled { return true }
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
