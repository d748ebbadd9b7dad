import EventModel
import Glibc

/// The wall clock (`CLOCK_REALTIME`), in milliseconds.
public struct SystemClock: Clock {
    /// The system's clock.
    public init() {}

    public func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }
}
