/// An event's identity: a UUID (RFC 9562), given by the client or generated.
///
/// The id makes appends idempotent: an event id is stored once, and a retry that carries it
/// gets the original event's seq and position back.
public struct EventID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public let high: UInt64
    /// The last 8 bytes, big-endian.
    public let low: UInt64

    /// An id from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the canonical text form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (any case).
    /// Returns nil for anything else.
    public init?(parsing text: some StringProtocol) {
        var utf8 = text.utf8.makeIterator()
        var value: (UInt64, UInt64) = (0, 0)
        var digits = 0
        var position = 0
        while let byte = utf8.next() {
            if position == 8 || position == 13 || position == 18 || position == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                position += 1
                continue
            }
            guard let nibble = Self.nibble(byte) else { return nil }
            if digits < 16 { value.0 = value.0 << 4 | UInt64(nibble) } else { value.1 = value.1 << 4 | UInt64(nibble) }
            digits += 1
            position += 1
            if position > 36 { return nil }
        }
        guard position == 36 else { return nil }
        self.init(high: value.0, low: value.1)
    }

    /// A time-ordered UUID version 7: 48 bits of `milliseconds`, then random bits.
    /// Ids made this way arrive in key order, which keeps the id index cheap to update.
    public static func version7(milliseconds: Int64, using generator: inout some RandomNumberGenerator) -> EventID {
        let random = generator.next() as UInt64
        let more = generator.next() as UInt64
        let high = UInt64(truncatingIfNeeded: milliseconds) << 16 | 0x7000 | (random & 0x0FFF)
        let low = (more & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return EventID(high: high, low: low)
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Writes the 36-byte canonical lowercase text form through `body`, without allocating.
    public func withCanonicalBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let hex: StaticString = "0123456789abcdef"
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        return try withUnsafeMutableBytes(of: &text) { buffer in
            var out = 0
            for half in 0..<2 {
                let value = half == 0 ? high : low
                for digit in 0..<16 {
                    if out == 8 || out == 13 || out == 18 || out == 23 {
                        buffer[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    let nibble = Int((value >> UInt64(60 - digit * 4)) & 0xF)
                    buffer[out] = hex.utf8Start[nibble]
                    out += 1
                }
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<36]))
        }
    }

    /// The canonical lowercase text form.
    public var description: String {
        withCanonicalBytes { String(decoding: $0, as: UTF8.self) }
    }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
