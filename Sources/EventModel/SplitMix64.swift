/// A small, fast, deterministic random number generator (SplitMix64).
///
/// The same seed gives the same numbers, so a seeded workload can be replayed exactly; the
/// engine seeds one per append from the system generator (which costs a system call per number
/// on Linux) to draw the random bits of the event ids it generates.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
