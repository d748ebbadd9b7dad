import EventModel
import EventStore
import Synchronization

/// The verifications a server runs in the background (`POST /v1/admin/verify`), kept in
/// memory: the newest 16, each with its progress and, once done, its findings. A restart
/// forgets them (a verification changes nothing, so there is nothing to resume).
final class VerifyRuns: Sendable {
    /// One verification.
    struct Run: Sendable {
        enum State: String, Sendable {
            case running, done, failed
        }
        let id: Int
        let type: String?
        let sample: Int?
        let startedMilliseconds: Int64
        var state = State.running
        var checked = 0
        var total = 0
        var finishedMilliseconds: Int64?
        var verification: StoreVerification?
        var failure: String?

        /// `{"id", "state", "type", "sample", "checked", "total", "started", "finished", "error",
        /// "result"}` (times in ms since the epoch; result: ``StoreVerification/json``, once done).
        var json: JSONValue {
            .object([
                "id": .number(Double(id)), "state": .string(state.rawValue), "type": type.map(JSONValue.string) ?? .null,
                "sample": sample.map { .number(Double($0)) } ?? .null, "checked": .number(Double(checked)), "total": .number(Double(total)),
                "started": .number(Double(startedMilliseconds)), "finished": finishedMilliseconds.map { .number(Double($0)) } ?? .null,
                "error": failure.map(JSONValue.string) ?? .null, "result": verification?.json ?? .null,
            ])
        }
    }

    private static let kept = 16
    private let runs = Mutex<(next: Int, list: [Run])>((1, []))

    /// Starts verifying `store` (only `type`, or a `sample`, when given) in the background.
    func start(_ store: EventStore, type: String?, sample: Int?) -> Run {
        let run = runs.withLock { runs in
            let run = Run(id: runs.next, type: type, sample: sample, startedMilliseconds: store.clockMilliseconds)
            runs.next += 1
            runs.list.append(run)
            if runs.list.count > Self.kept { runs.list.removeFirst(runs.list.count - Self.kept) }
            return run
        }
        let id = run.id
        Task {
            let result: Result<StoreVerification, EventStoreError>
            do throws(EventStoreError) {
                result = .success(
                    try await store.verifyStore(type: type, sample: sample) { checked, total in
                        self.update(id) { run in
                            run.checked = checked
                            run.total = total
                        }
                    })
            } catch {
                result = .failure(error)
            }
            let now = store.clockMilliseconds
            update(id) { run in
                run.finishedMilliseconds = now
                switch result {
                case .success(let verification):
                    run.state = .done
                    run.verification = verification
                case .failure(let error):
                    run.state = .failed
                    run.failure = error.description
                }
            }
        }
        return run
    }

    /// The run `id`, if still kept.
    func run(_ id: Int) -> Run? { runs.withLock { $0.list.first { $0.id == id } } }

    /// Every run kept, oldest first.
    var all: [Run] { runs.withLock { $0.list } }

    private func update(_ id: Int, _ change: (inout Run) -> Void) {
        runs.withLock { runs in
            if let index = runs.list.firstIndex(where: { $0.id == id }) { change(&runs.list[index]) }
        }
    }
}
