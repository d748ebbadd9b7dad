import EventModel
import Synchronization

/// A clock that moves only when a test moves it.
public final class ManualClock: Clock {
    private let milliseconds: Mutex<Int64>

    /// A clock reading `start` ms since the epoch (default 2026-01-01T00:00:00Z).
    public init(start: Int64 = 1_767_225_600_000) { milliseconds = Mutex(start) }

    public func nowMilliseconds() -> Int64 { milliseconds.withLock { $0 } }

    /// Moves the clock forward (or back, to test that commit times never go backwards).
    public func advance(byMilliseconds delta: Int64) { milliseconds.withLock { $0 += delta } }
}
