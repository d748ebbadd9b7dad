import EventModel

/// Keys of the `rows` database, where keyed views keep their rows, one record per version:
///
/// `stream (8, BE) + view name + 0 + view version (4, BE) + row key (escaped) + 0 + seq (8, BE)`
///
/// so a row's versions sit together in seq order, rows sit in key order (byte by byte) within a
/// view of a stream, and the latest version at or below a seq is one `seek(atMost:)` away.
/// The row key is escaped so it never holds a 0 byte (`0` → `1 1`, `1` → `1 2`), which keeps
/// the terminator unambiguous and the order of keys unchanged. An escaped key longer than
/// ``escapedBytesMax`` (LMDB keys stop at 511 bytes) is cut and followed by `1 3` and a hash of
/// the whole key; such a record holds its full key (``RowRecord``), and sorts by its cut prefix.
enum RowKeys {
    /// The longest escaped row key kept as it is.
    static let escapedBytesMax = 400
    /// Where a long key is cut.
    static let cutBytes = 360

    /// The prefix of every row of `view` (at `version`) of `stream`.
    static func prefix(stream: UInt64, view: String, version: Int) -> [UInt8] {
        var bytes = withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        bytes.reserveCapacity(8 + view.utf8.count + 5 + 48)
        bytes.append(contentsOf: view.utf8)
        bytes.append(0)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: version).bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Appends `key` escaped; returns true when it was too long and was cut and hashed.
    @discardableResult
    static func appendEscaped(_ key: String, to bytes: inout [UInt8]) -> Bool {
        let start = bytes.count
        for byte in key.utf8 {
            switch byte {
            case 0: bytes.append(1); bytes.append(1)
            case 1: bytes.append(1); bytes.append(2)
            default: bytes.append(byte)
            }
        }
        guard bytes.count - start > escapedBytesMax else { return false }
        var cut = start + cutBytes
        // Never between the two bytes of an escape.
        if bytes[cut - 1] == 1, cut - 2 < start || bytes[cut - 2] != 1 { cut -= 1 }
        bytes.removeSubrange(cut...)
        bytes.append(1)
        bytes.append(3)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        let hex = Array("0123456789abcdef".utf8)
        for shift in stride(from: 60, through: 0, by: -4) { bytes.append(hex[Int((hash >> UInt64(shift)) & 0xF)]) }
        return true
    }

    /// The key of the version `seq` of the row whose escaped key is `escaped`.
    static func recordKey(prefix: [UInt8], escaped: UnsafeRawBufferPointer, seq: Seq) -> [UInt8] {
        var key = prefix
        key.reserveCapacity(prefix.count + escaped.count + 9)
        key.append(contentsOf: escaped)
        key.append(0)
        withUnsafeBytes(of: seq.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// The escaped row key and seq of a record key, given its prefix length; nil for a key that
    /// is not a row record's.
    static func split(_ key: UnsafeRawBufferPointer, prefixCount: Int) -> (escaped: UnsafeRawBufferPointer, seq: Seq)? {
        guard key.count >= prefixCount + 9 else { return nil }
        let terminator = key.count - 9
        guard key[terminator] == 0 else { return nil }
        return (UnsafeRawBufferPointer(rebasing: key[prefixCount..<terminator]), StoreKeys.integer(key, at: terminator + 1))
    }

    /// The row key an escaped key stands for (for a cut one, its record holds the full key).
    static func unescape(_ escaped: UnsafeRawBufferPointer) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(escaped.count)
        var index = 0
        while index < escaped.count {
            let byte = escaped[index]
            if byte == 1, index + 1 < escaped.count {
                bytes.append(escaped[index + 1] == 1 ? 0 : 1)
                index += 2
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A row version as stored: `flags (1) + CRC-32C (4, LE) of the rest + [key length (2, LE) +
/// key, for a cut key] + the row as compact JSON` (nothing for a removal).
enum RowRecord {
    static let removed: UInt8 = 1
    static let fullKey: UInt8 = 2

    /// A stored version: the row's JSON (nil when the row was removed) and its full key when the
    /// record key holds a cut one.
    struct Version {
        let json: [UInt8]?
        let fullKey: String?
    }

    /// The value of a version of the row `key` (`longKey`: its record key is cut), or of its
    /// removal when `json` is nil.
    static func encode(json: [UInt8]?, key: String, longKey: Bool) -> [UInt8] {
        var value: [UInt8] = [json == nil ? removed : 0, 0, 0, 0, 0]
        if longKey {
            value[0] |= fullKey
            let keyBytes = Array(key.utf8.prefix(Int(UInt16.max)))
            withUnsafeBytes(of: UInt16(keyBytes.count).littleEndian) { value.append(contentsOf: $0) }
            value.append(contentsOf: keyBytes)
        }
        if let json { value.append(contentsOf: json) }
        let checksum = value.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[5...])) }
        withUnsafeBytes(of: checksum.littleEndian) { value.replaceSubrange(1..<5, with: $0) }
        return value
    }

    /// The version stored in `value`, checked against its CRC-32C.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a damaged record.
    static func decode(_ value: UnsafeRawBufferPointer) throws(EventStoreError) -> Version {
        guard value.count >= 5 else { throw .corruptRecord(position: 0, reason: "a row record of \(value.count) bytes") }
        let stored = UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: value[5...])) == stored else {
            throw .corruptRecord(position: 0, reason: "a row record fails its CRC-32C")
        }
        let flags = value[0]
        var offset = 5
        var key: String?
        if flags & fullKey != 0 {
            guard value.count >= 7 else { throw .corruptRecord(position: 0, reason: "a row record's key is cut short") }
            let count = Int(UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 5, as: UInt16.self)))
            guard value.count >= 7 + count else { throw .corruptRecord(position: 0, reason: "a row record's key is cut short") }
            key = String(decoding: value[7..<(7 + count)], as: UTF8.self)
            offset = 7 + count
        }
        return Version(json: flags & removed != 0 ? nil : Array(value[offset...]), fullKey: key)
    }
}
