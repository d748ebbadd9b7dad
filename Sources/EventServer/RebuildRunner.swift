import EventStore
import Logging
import ServiceLifecycle
import Synchronization

/// Runs rebuild jobs in the server: those asked for over HTTP, those left running by the last
/// run (resumed at start-up), and those a changed view version calls for. As a service, it
/// stops its jobs between chunks when the server shuts down; they resume at the next start.
public final class RebuildRunner: Service, Sendable {
    let store: EventStore
    let logger: Logger
    private let running = Mutex<[UInt64: Task<Void, Never>]>([:])

    /// A runner for `store`'s jobs.
    public init(store: EventStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Starts (or finds running) the job rebuilding `view` of `type`, and runs it in the
    /// background.
    func start(view: String, type: String?, jobs: Int, force: Bool) async throws(EventStoreError) -> RebuildJob {
        let job = try await store.startRebuild(view: view, type: type, jobs: jobs, force: force)
        run(job)
        return job
    }

    private func run(_ job: RebuildJob) {
        running.withLock { tasks in
            guard tasks[job.id] == nil else { return }
            tasks[job.id] = Task { [store, logger] in
                logger.info("rebuild started", metadata: ["job": "\(job.id)", "view": "\(job.view)", "type": "\(job.type ?? "*")"])
                do {
                    let finished = try await store.runRebuild(job.id)
                    logger.info(
                        "rebuild \(finished.state.rawValue)",
                        metadata: ["job": "\(job.id)", "objects": "\(finished.objects)", "events": "\(finished.events)"])
                } catch {
                    if !Task.isCancelled { logger.error("rebuild failed", metadata: ["job": "\(job.id)", "error": "\(error)"]) }
                }
                _ = self.running.withLock { $0.removeValue(forKey: job.id) }
            }
        }
    }

    public func run() async throws {
        do {
            for job in try store.rebuildJobs() where job.state == .running { run(job) }
            for stale in try await store.viewsToRebuild() {
                let job = try await store.startRebuild(view: stale.view, type: stale.type)
                logger.notice("view version changed: rebuilding", metadata: ["view": "\(stale.view)", "type": "\(stale.type)", "job": "\(job.id)"])
                run(job)
            }
        } catch {
            logger.error("cannot resume rebuild jobs", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
        let tasks = running.withLock { Array($0.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
