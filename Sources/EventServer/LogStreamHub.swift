import EventModel
import EventStore
import ServiceLifecycle

/// Ends the server's long-lived log streams on graceful shutdown.
///
/// The HTTP server waits for running requests before it stops, and a log stream never ends by
/// itself; so this service, shut down before the server, tells every stream to finish.
public final class LogStreamHub: Service, Sendable {
    private let closing = AsyncCondition(false)
    private let heartbeats = AsyncCondition(0)

    /// A hub with no streams.
    public init() {}

    /// True once shutdown has begun.
    var isClosing: Bool { closing.value }

    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Tells every stream to finish: each ends its response after the events it has sent.
    public func close() {
        closing.update { $0 = true }
    }

    /// Counts a heartbeat written on one of the streams.
    func sentHeartbeat() {
        heartbeats.update { $0 += 1 }
    }

    /// Heartbeats written on every stream so far.
    public var heartbeatsSent: Int { heartbeats.value }

    /// Returns once more than `count` heartbeats have been written (or the task is cancelled):
    /// a stream that sent one after an event has sent that event.
    public func waitForHeartbeats(after count: Int) async {
        await heartbeats.wait { $0 > count }
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
                await self.closing.wait { $0 }
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
}
