import EventStore
import Logging
import ServiceLifecycle

/// Applies the object types' retention while the server runs: a pass every `intervalSeconds`
/// (``EventStore/applyRetention()``), each branch compacted in its own writer transaction.
public struct RetentionService: Service {
    let store: EventStore
    let intervalSeconds: Int
    let logger: Logger

    /// A service compacting `store`'s retained types every `intervalSeconds`.
    public init(store: EventStore, intervalSeconds: Int, logger: Logger) {
        self.store = store
        self.intervalSeconds = max(1, intervalSeconds)
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(intervalSeconds))
                guard !Task.isCancelled else { return }
                do {
                    let pass = try await store.applyRetention()
                    if pass.events > 0 {
                        logger.info(
                            "retention compacted events",
                            metadata: ["branches": "\(pass.streams)", "events": "\(pass.events)", "checkpoints": "\(pass.checkpoints)"])
                    }
                } catch EventStoreError.closed {
                    return
                } catch {
                    logger.error("applying retention failed; tried again next pass", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
