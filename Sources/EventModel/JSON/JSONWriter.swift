/// Writes JSON text into a growing byte array, without intermediate strings.
///
/// It writes exactly what it is told: callers place commas and colons. Strings are escaped
/// as RFC 8259 requires; raw JSON (already validated) is copied as it is.
public struct JSONWriter {
    /// The text written so far.
    public var bytes: [UInt8]

    /// A writer with room for `capacity` bytes before it grows.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends ASCII punctuation or a literal such as `{"seq":`.
    @inline(__always)
    public mutating func ascii(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Appends bytes that are already valid JSON.
    @inline(__always)
    public mutating func raw(_ json: UnsafeRawBufferPointer) { bytes.append(contentsOf: json) }

    /// Appends bytes that are already valid JSON.
    @inline(__always)
    public mutating func raw(_ json: [UInt8]) { bytes.append(contentsOf: json) }

    /// Appends `value` in decimal.
    public mutating func integer(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var remaining = value
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Appends `value` in decimal.
    public mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        integer(value.magnitude)
    }

    /// Appends `value` in decimal.
    public mutating func integer(_ value: Int) { integer(Int64(value)) }

    /// Appends a number as `description` writes it: a whole number below 2^63 without a
    /// fraction (`10`, not `10.0`), any other finite one in the shortest form that reads back as
    /// the same `Double`; NaN and the infinities, which JSON cannot hold, as `null`.
    ///
    /// A number of at most 6 decimals between 0.001 and 10^9 (a price, a temperature) is
    /// written straight into the buffer; others go through `description`, a `String` each.
    public mutating func number(_ value: Double) {
        if value.rounded(.towardZero) == value, abs(value) < 0x1p63 { return integer(Int64(value)) }
        guard value.isFinite else { return ascii("null") }
        if shortDecimal(value) { return }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Writes `value` as `whole.fraction` when some 1 to 6 decimals read back as it exactly, and
    /// says whether it did. The fewest such decimals are `description`'s shortest form: two
    /// decimal fractions 10^-6 apart cannot round to one `Double` below 10^9 (their spacing
    /// there is under 2.3 × 10^-7), and `m / 10^k`, both exact, rounds as parsing "m e-k" does.
    private mutating func shortDecimal(_ value: Double) -> Bool {
        let magnitude = value.magnitude
        guard magnitude >= 0.001, magnitude < 1e9 else { return false }
        var scale: Int64 = 10
        for decimals in 1...6 {
            let scaled = (magnitude * Double(scale)).rounded()
            if scaled / Double(scale) == magnitude {
                let units = Int64(scaled)
                if value < 0 { byte(UInt8(ascii: "-")) }
                integer(UInt64(units / scale))
                byte(UInt8(ascii: "."))
                var fraction = units % scale
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { digits in
                    for index in stride(from: decimals - 1, through: 0, by: -1) {
                        digits[index] = UInt8(ascii: "0") + UInt8(fraction % 10)
                        fraction /= 10
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[..<decimals]))
                }
                return true
            }
            scale *= 10
        }
        return false
    }

    /// Appends a quoted, escaped string.
    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a quoted, escaped string from UTF-8 bytes.
    public mutating func string(utf8: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            // Most text needs no escape: find the next byte that does.
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<index]))
            escape(byte)
            index += 1
            runStart = index
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: utf8[runStart..<count]))
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        switch byte {
        case UInt8(ascii: "\""): ascii("\\\"")
        case UInt8(ascii: "\\"): ascii("\\\\")
        case 0x0A: ascii("\\n")
        case 0x0D: ascii("\\r")
        case 0x09: ascii("\\t")
        default:
            ascii("\\u00")
            bytes.append(hex.utf8Start[Int(byte >> 4)])
            bytes.append(hex.utf8Start[Int(byte & 0xF)])
        }
    }

    /// Appends validated JSON text with the whitespace between tokens removed.
    public mutating func compact(_ json: UnsafeRawBufferPointer) {
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                bytes.append(byte)
                continue
            }
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09: continue
            case UInt8(ascii: "\""): inString = true
            default: break
            }
            bytes.append(byte)
        }
    }
}
