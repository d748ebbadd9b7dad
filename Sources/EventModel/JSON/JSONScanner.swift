/// Why a JSON text was refused: what was expected, and the byte offset where reading stopped.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte offset in the text where the problem was found.
    public let offset: Int
    /// What was expected or what is wrong.
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

/// The kind of the next JSON value, from its first byte.
public enum JSONKind: Sendable, Equatable {
    case object, array, string, number, bool, null
}

/// A single-pass reader of JSON text (RFC 8259) over borrowed bytes.
///
/// It reads the parts a caller asks for and validates the parts it skips, recording their byte
/// ranges, so a payload is checked once and then stored as the bytes it arrived as, never
/// decoded into a tree and encoded again. Strings must be valid UTF-8; nesting is bounded by
/// ``depthMax``.
public struct JSONScanner {
    /// The deepest nesting of arrays and objects accepted.
    public static let depthMax = 64

    /// The text being read.
    public let bytes: UnsafeRawBufferPointer
    /// The offset of the next unread byte.
    public private(set) var offset: Int = 0

    /// A scanner at the start of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: offset, reason: reason) }

    @inline(__always)
    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    /// The kind of the next value, or nil at the end of the text or before a byte that starts none.
    public mutating func peekKind() -> JSONKind? {
        skipWhitespace()
        guard offset < bytes.count else { return nil }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: return nil
        }
    }

    /// Checks that only whitespace is left.
    public mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        if offset != bytes.count { throw fail("unexpected text after the JSON value") }
    }

    /// Consumes `null` if it is next; returns whether it was.
    public mutating func readNull() throws(JSONSyntaxError) -> Bool {
        guard peekKind() == .null else { return false }
        try literal("null")
        return true
    }

    /// Reads a JSON string and decodes its escapes.
    public mutating func readString() throws(JSONSyntaxError) -> String {
        skipWhitespace()
        let range = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw, as: UTF8.self) }
        return Self.unescape(raw)
    }

    /// Reads a JSON number that is a whole number within `Int64` (written with a fraction or an
    /// exponent only when its value is whole and at most 2^53).
    public mutating func readInteger() throws(JSONSyntaxError) -> Int64 {
        skipWhitespace()
        let start = offset
        let range = try scanNumber()
        // A number with a fraction or an exponent is whole when its value is (4585.0, 1e3), as
        // JSON Schema's `integer` says; exact up to 2^53.
        if bytes[range].contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            guard let number = Double(String(decoding: bytes[range], as: UTF8.self)), number.rounded() == number, abs(number) <= 9_007_199_254_740_992 else {
                offset = start
                throw fail("expected a whole number")
            }
            return Int64(number)
        }
        var value: Int64 = 0
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                offset = start
                throw fail("expected a whole number")
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 {
                offset = start
                throw fail("number out of range")
            }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// Validates the next value, whatever it is, and returns its byte range.
    public mutating func skipValue() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = offset
        try skipValue(depth: 0)
        return start..<offset
    }

    /// Reads an object, calling `body` with each member's key and the scanner placed on its
    /// value; `body` must consume the value (read it or ``skipValue()``).
    public mutating func readObject(_ body: (String, inout JSONScanner) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "expected an object")
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try readString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':' after a member name")
            try body(key, &self)
            skipWhitespace()
            if try separator(close: UInt8(ascii: "}")) { return }
        }
    }

    /// Reads an array, calling `body` with the scanner placed on each element; `body` must
    /// consume it.
    public mutating func readArray(_ body: (inout JSONScanner) throws -> Void) throws {
        skipWhitespace()
        try expect(UInt8(ascii: "["), "expected an array")
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return
        }
        while true {
            try body(&self)
            skipWhitespace()
            if try separator(close: UInt8(ascii: "]")) { return }
        }
    }

    // MARK: - Validation

    @inline(__always)
    private mutating func expect(_ byte: UInt8, _ reason: @autoclosure () -> String) throws(JSONSyntaxError) {
        guard offset < bytes.count, bytes[offset] == byte else { throw fail(reason()) }
        offset += 1
    }

    /// Consumes `,` (returns false) or `close` (returns true).
    private mutating func separator(close: UInt8) throws(JSONSyntaxError) -> Bool {
        guard offset < bytes.count else { throw fail("unexpected end of text") }
        if bytes[offset] == UInt8(ascii: ",") {
            offset += 1
            return false
        }
        if bytes[offset] == close {
            offset += 1
            return true
        }
        throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        skipWhitespace()
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw fail("expected \(word)") }
        for index in 0..<count where bytes[offset + index] != word.utf8Start[index] {
            throw fail("expected \(word)")
        }
        offset += count
    }

    private mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard depth < Self.depthMax else { throw fail("nested deeper than \(Self.depthMax) levels") }
        skipWhitespace()
        guard offset < bytes.count else { throw fail("unexpected end of text, expected a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            offset += 1
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return
            }
            repeat {
                skipWhitespace()
                _ = try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "expected ':' after a member name")
                try skipValue(depth: depth + 1)
                skipWhitespace()
            } while try !separator(close: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            offset += 1
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return
            }
            repeat {
                try skipValue(depth: depth + 1)
                skipWhitespace()
            } while try !separator(close: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try scanNumber()
        default: throw fail("expected a value")
        }
    }

    /// Validates a string and returns the range of its contents (without the quotes).
    private mutating func scanString() throws(JSONSyntaxError) -> Range<Int> {
        try expect(UInt8(ascii: "\""), "expected a string")
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return start..<(offset - 1)
            }
            if byte == UInt8(ascii: "\\") {
                offset += 1
                guard offset < bytes.count else { break }
                switch bytes[offset] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    offset += 1
                case UInt8(ascii: "u"):
                    guard offset + 4 < bytes.count,
                        (1...4).allSatisfy({ Self.hexValue(bytes[offset + $0]) != nil })
                    else { throw fail("invalid \\u escape") }
                    offset += 5
                default: throw fail("invalid escape in string")
                }
            } else if byte < 0x20 {
                throw fail("control character in string")
            } else if byte < 0x80 {
                offset += 1
            } else {
                try scanUTF8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates).
    private mutating func scanUTF8Sequence() throws(JSONSyntaxError) {
        let lead = bytes[offset]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard offset + length <= bytes.count else { throw fail("invalid UTF-8") }
        let second = bytes[offset + 1]
        guard second >= lower, second <= upper else { throw fail("invalid UTF-8") }
        for index in 2..<max(2, length) where bytes[offset + index] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8")
        }
        offset += length
    }

    /// Validates a number and returns its range.
    private mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw fail("expected a digit") }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw fail("expected a digit after '.'") }
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < bytes.count, Self.isDigit(bytes[offset]) else { throw fail("expected a digit in exponent") }
            while offset < bytes.count, Self.isDigit(bytes[offset]) { offset += 1 }
        }
        return start..<offset
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Decodes the escapes of validated string contents. Lone surrogates become U+FFFD.
    private static func unescape(_ raw: UnsafeRawBufferPointer) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = 0
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 4 | hexValue(raw[at + $1])! }
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                flush()
                var code = hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(code), index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"),
                    raw[index + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: utf8.append(escaped)
            }
        }
        flush()
        return String(scalars)
    }
}
