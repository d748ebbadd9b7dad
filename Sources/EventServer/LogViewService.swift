import EventStore
import Logging
import Prometheus
import ServiceLifecycle

/// Keeps the store's cross-object views caught up with the log while the server runs (after a
/// restart, from their stored checkpoints), folding in memory on a thread of its own
/// (``LogViewFolder``) and storing them at most once a second (and when it stops; folding goes
/// on while a write commits), and their lag in `/metrics` as
/// `evlog_log_view_lag_events{view="..."}`.
public struct LogViewService: Service {
    let store: EventStore
    let metrics: ServerMetrics
    let logger: Logger

    /// A service folding `store`'s cross-object views.
    public init(store: EventStore, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        guard !store.logViews.isEmpty else { return }
        let gauges = Dictionary(uniqueKeysWithValues: store.logViews.map { view in
            (view.name, metrics.registry.makeGauge(name: "evlog_log_view_lag_events", labels: [("view", view.name)], help: "Log positions a cross-object view has not folded yet"))
        })
        let store = store
        let logger = logger
        let folder = LogViewFolder(store: store, writeIntervalMilliseconds: Self.writeIntervalMilliseconds)
        let setGauges: @Sendable () -> Void = {
            guard let lags = try? store.logViewLag() else { return }
            for (name, lag) in lags { gauges[name]?.set(Double(lag)) }
        }
        setGauges()
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await folder.run(folded: setGauges) { error in
                    logger.error("folding cross-object views failed", metadata: ["error": "\(error)"])
                }
            } onCancel: {
                folder.stop()
            }
        }
        // What was folded since the last write is stored before the store closes.
        do { try await store.catchUpLogViews(limit: 0) } catch .closed {} catch {
            logger.warning("cross-object views not stored at shutdown; they fold again from their last stored position", metadata: ["error": "\(error)"])
        }
        setGauges()
    }

    /// How often the views folded in memory are stored, at most.
    static let writeIntervalMilliseconds: Int64 = 1_000
}
