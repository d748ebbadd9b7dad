import EventStore
import Logging
import Prometheus
import ServiceLifecycle

/// Runs the store's reactions while the server runs (after a restart, from their stored
/// positions): steps while the log holds events after them, then waits for the next commit (or
/// a reaction resumed). Per reaction in `/metrics`: `evlog_reaction_lag_events` (positions not
/// run over yet), `evlog_reaction_paused`, `evlog_reaction_commands_total{outcome="sent"|"refused"}`
/// and `evlog_reaction_steps_total`. A step that fails is logged and tried again a second later
/// (nothing of it was applied).
public struct ReactionService: Service {
    let store: EventStore
    let metrics: ServerMetrics
    let logger: Logger

    /// One reaction's metrics.
    private struct Meters {
        let lag: Gauge
        let paused: Gauge
        let sent: Counter
        let refused: Counter
        let steps: Counter

        init(_ reaction: String, registry: PrometheusCollectorRegistry) {
            let label = ("reaction", reaction)
            lag = registry.makeGauge(name: "evlog_reaction_lag_events", labels: [label], help: "Log positions a reaction has not run over yet")
            paused = registry.makeGauge(name: "evlog_reaction_paused", labels: [label], help: "1 while a reaction is paused")
            sent = registry.makeCounter(name: "evlog_reaction_commands_total", labels: [label, ("outcome", "sent")], help: "Commands a reaction sent, by outcome")
            refused = registry.makeCounter(name: "evlog_reaction_commands_total", labels: [label, ("outcome", "refused")], help: "Commands a reaction sent, by outcome")
            steps = registry.makeCounter(name: "evlog_reaction_steps_total", labels: [label], help: "Steps a reaction ran (a transaction each when they caused commands)")
        }
    }

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
        let meters = Dictionary(uniqueKeysWithValues: store.reactions.map { ($0.name, Meters($0.name, registry: metrics.registry)) })
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let seen = store.commits.committedPosition
                let nudges = store.commits.nudges
                do {
                    var ran = false
                    for reaction in store.reactions {
                        guard let step = try await store.runReaction(reaction), step.outcome.through > step.from, let meter = meters[reaction.name] else { continue }
                        ran = true
                        let committed = store.commits.committedPosition
                        meter.lag.set(Double(committed - min(committed, step.outcome.through)))
                        meter.steps.increment()
                        meter.sent.increment(by: Int64(step.outcome.sent))
                        meter.refused.increment(by: Int64(step.outcome.refused))
                    }
                    if ran { continue }
                } catch EventStoreError.closed {
                    return
                } catch {
                    logger.error("a reaction's step failed; it is tried again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if let statuses = try? store.reactionStatuses(refusalsMax: 0) {
                    for status in statuses {
                        meters[status.name]?.lag.set(Double(status.lag))
                        meters[status.name]?.paused.set(Double(status.paused ? 1 : 0))
                    }
                }
                await store.commits.wait(after: seen, nudgesAfter: nudges)
            }
        }
        // A clean stop stores how far the reactions ran over positions that caused nothing.
        do {
            try await store.storeReactionPositions()
        } catch EventStoreError.closed {
            return
        } catch {
            logger.warning("the reactions' positions were not stored", metadata: ["error": "\(error)"])
        }
    }
}
