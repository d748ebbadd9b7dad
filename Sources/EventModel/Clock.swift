/// The only source of time the engine reads, so tests can drive time by hand.
public protocol Clock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}
