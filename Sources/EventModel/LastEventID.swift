/// The `Last-Event-ID` a Server-Sent Events client sends when it reconnects: the id of the
/// last event it received, which evlog's streams write as a decimal position (or seq).
public enum LastEventID {
    /// The number `header` holds: 1 to 19 ASCII digits, spaces and tabs around them allowed;
    /// nil for anything else (a sign, a fraction, another character, a number past 19 digits).
    /// Read byte by byte: a space joined to a combining mark is no space (found by fuzzing).
    public static func parse(_ header: String) -> UInt64? {
        var bytes = header.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        guard (1...19).contains(bytes.count), bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
    }
}
