import Dispatch
import EventModel
import Foundation
import Synchronization

/// Keeps a store's cross-object views caught up with the log on a thread of its own: no task
/// scheduling stands between a commit and its fold, however busy the cooperative pool is with
/// appends. It folds while there is something to fold, then sleeps until the next commit (the
/// writer's publish wakes the thread itself: no polling). Writes (at most one per view in
/// flight) commit in the background while it folds on.
public final class LogViewFolder: Sendable {
    private struct Control {
        var isStopped = false
        var sleeper: DispatchSemaphore?
    }

    private let store: EventStore
    private let writeIntervalMilliseconds: Int64
    private let control = Mutex(Control())

    /// A folder of `store`'s views, storing each at most once per `writeIntervalMilliseconds`.
    public init(store: EventStore, writeIntervalMilliseconds: Int64) {
        self.store = store
        self.writeIntervalMilliseconds = writeIntervalMilliseconds
    }

    /// Folds until ``stop()`` (or the store closes), calling `folded` after a fold that moved (at
    /// most ten times a second) and `failed` with each error (the folder waits a second and goes
    /// on).
    public func run(folded: @escaping @Sendable () -> Void, failed: @escaping @Sendable (EventStoreError) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                loop(folded: folded, failed: failed)
                continuation.resume()
            }
            thread.name = "evlog-log-views"
            thread.start()
        }
    }

    /// Makes ``run(folded:failed:)`` return after the fold under way.
    public func stop() {
        let sleeper = control.withLock { control in
            control.isStopped = true
            return control.sleeper
        }
        sleeper?.signal()
    }

    private var isStopped: Bool { control.withLock { $0.isStopped } }

    private func loop(folded: @Sendable () -> Void, failed: @Sendable (EventStoreError) -> Void) {
        var told = ContinuousClock.now
        var slice = Self.sliceMin
        while !isStopped {
            // Read before the fold: a commit landing during it wakes the sleep below at once.
            let seen = store.commits.committedPosition
            do {
                if try store.foldLogViews(limit: slice, writeIntervalMilliseconds: writeIntervalMilliseconds) > 0 {
                    // Far behind (a rebuild): large slices, the fewest calls.
                    slice = try store.logViewLag().values.contains { $0 > Self.sliceMax } ? Self.sliceMax : Self.sliceMin
                    if ContinuousClock.now - told >= .milliseconds(100) {
                        folded()
                        told = .now
                    }
                    continue
                }
            } catch .closed {
                return
            } catch {
                failed(error)
                sleep(until: nil, seconds: 1)
                continue
            }
            sleep(until: seen, seconds: 1)
        }
    }

    /// Sleeps until a commit past `position` (nil: no commit wakes it), ``stop()``, or `seconds`.
    private func sleep(until position: Position?, seconds: Double) {
        let sleeper = DispatchSemaphore(value: 0)
        guard control.withLock({ control -> Bool in
            control.sleeper = sleeper
            return !control.isStopped
        }) else { return }
        if let position {
            store.commits.sleep(after: position, on: sleeper, seconds: seconds)
        } else {
            _ = sleeper.wait(timeout: .now() + seconds)
        }
        control.withLock { $0.sleeper = nil }
    }

    /// Log positions folded per call while the views keep up with the log: the fold's progress
    /// shows (in the views' positions, and their reads) slice by slice, so the lag a commit of
    /// a thousand events makes shrinks as it is folded rather than at the end.
    static let sliceMin = 256
    /// Log positions folded per call while a view is further than this behind (after a rebuild).
    static let sliceMax = 16_384
}
