import Synchronization

/// When the hub's clock must look at each subscriber: every subscriber with a deadline (a wait
/// or a write) is filed under the tick its earliest deadline falls in, so a tick looks only at
/// the subscribers whose time may be up, not at every one.
///
/// A subscriber is filed again only when a deadline comes before the tick it is filed under
/// (``Subscriber`` keeps which one), so one that waits and writes many times a second is filed
/// about once per deadline it lets pass. Entries are weak: a subscriber that left is freed at
/// once, its entry dropped when its tick comes.
final class DeadlineWheel: Sendable {
    private struct Entry {
        weak var subscriber: Subscriber?
    }

    private struct State {
        var ticks: [Int64: [Entry]] = [:]
        /// The last tick looked at.
        var done: Int64 = 0
    }

    /// The instant tick 0 starts.
    private let origin = ContinuousClock.now
    /// How long a tick lasts.
    let tick: Duration
    private let state = Mutex(State())

    /// A wheel of ticks of `tick`, starting now.
    init(tick: Duration) {
        self.tick = tick
    }

    /// The tick at whose start `deadline` has passed (the first tick ending after it).
    func tick(of deadline: ContinuousClock.Instant) -> Int64 {
        Int64(((deadline - origin) / tick).rounded(.up))
    }

    /// Files `subscriber` under `tick` (or the next tick to come, when that one has been looked
    /// at); answers the tick it is filed under.
    func file(_ subscriber: Subscriber, at tick: Int64) -> Int64 {
        state.withLock { state in
            let filed = max(tick, state.done + 1)
            state.ticks[filed, default: []].append(Entry(subscriber: subscriber))
            return filed
        }
    }

    /// The subscribers filed under the ticks that have started by `now` (each with its tick),
    /// taken off the wheel.
    func due(at now: ContinuousClock.Instant) -> [(tick: Int64, subscriber: Subscriber)] {
        let current = Int64(((now - origin) / tick).rounded(.down))
        return state.withLock { state in
            var due: [(tick: Int64, subscriber: Subscriber)] = []
            while state.done < current {
                state.done += 1
                for entry in state.ticks.removeValue(forKey: state.done) ?? [] {
                    if let subscriber = entry.subscriber { due.append((state.done, subscriber)) }
                }
            }
            return due
        }
    }

    /// How many entries are filed (for tests: bounded by the subscribers', not by their waits).
    var entryCount: Int { state.withLock { $0.ticks.values.reduce(0) { $0 + $1.count } } }
}
