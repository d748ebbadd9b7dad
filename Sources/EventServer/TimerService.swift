import EventStore
import Logging
import ServiceLifecycle

/// Fires due timers while the server runs: checks every `intervalMilliseconds`, and at start-up
/// fires the ones missed while it was down, in due order.
public struct TimerService: Service {
    let store: EventStore
    let intervalMilliseconds: Int64
    let logger: Logger

    /// A service firing `store`'s due timers every `intervalMilliseconds`.
    public init(store: EventStore, intervalMilliseconds: Int64 = 100, logger: Logger) {
        self.store = store
        self.intervalMilliseconds = intervalMilliseconds
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let fired = try await store.fireDueTimers()
                    if fired > 0 { logger.debug("timers fired", metadata: ["timers.fired": "\(fired)"]) }
                } catch EventStoreError.closed {
                    return
                } catch {
                    logger.error("firing timers failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(intervalMilliseconds))
            }
        }
    }
}
