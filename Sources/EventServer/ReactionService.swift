import EventStore
import Logging
import Prometheus
import ServiceLifecycle

/// Runs the store's reactions while the server runs (after a restart, from their stored
/// positions): steps while the log holds events after them, then waits for the next commit;
/// their lag in `/metrics` as `evlog_reaction_lag_events{reaction="..."}`. A step that fails is
/// logged and tried again a second later (nothing of it was applied).
public struct ReactionService: Service {
    let store: EventStore
    let metrics: ServerMetrics
    let logger: Logger

    /// A service running `store`'s reactions.
    public init(store: EventStore, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        // A service that returns early ends the server's group: with nothing to run, it waits.
        guard !store.reactions.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        let gauges = Dictionary(uniqueKeysWithValues: store.reactions.map { reaction in
            (reaction.name, metrics.registry.makeGauge(name: "evlog_reaction_lag_events", labels: [("reaction", reaction.name)], help: "Log positions a reaction has not run over yet"))
        })
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let seen = store.commits.committedPosition
                do {
                    if try await store.runReactions() > 0 { continue }
                } catch EventStoreError.closed {
                    return
                } catch {
                    logger.error("a reaction's step failed; it is tried again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                for reaction in store.reactions {
                    if let position = try? store.reactionPosition(reaction.name) { gauges[reaction.name]?.set(Double(seen - min(seen, position))) }
                }
                await store.commits.wait(after: seen)
            }
        }
    }
}
