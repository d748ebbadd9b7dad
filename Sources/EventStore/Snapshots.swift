import EventModel
import LMDB
import Zstd

/// Snapshots of view states: `stream + view name + 0 + seq → version + CRC-32C + zstd frame`.
///
/// A snapshot is used only when its view version is the code's and both its checksum and its
/// zstd frame check out; any other is skipped (and superseded by the next one written).
enum SnapshotKeys {
    static func withKey<R>(stream: UInt64, name: String, seq: Seq, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        key.append(contentsOf: name.utf8)
        key.append(0)
        withUnsafeBytes(of: seq.bigEndian) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }
}

/// Writes snapshots; one per write transaction that needs it.
struct SnapshotWriter {
    private let compressor = ZstdCompressor(level: 3)

    func write(stream: UInt64, name: String, version: Int, seq: Seq, state: JSONValue, layout: StoreLayout, transaction: WriteTransaction) throws {
        var json = JSONWriter(capacity: 1024)
        json.value(state)
        var frame = [UInt8](repeating: 0, count: ZstdCompressor.bound(json.bytes.count))
        let count = try json.bytes.withUnsafeBytes { input in try frame.withUnsafeMutableBytes { try compressor.compress(input, into: $0) } }
        var value = [UInt8]()
        value.reserveCapacity(8 + count + 4)
        withUnsafeBytes(of: UInt32(version).littleEndian) { value.append(contentsOf: $0) }
        let checksum = json.bytes.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: checksum.littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.bytes.count).littleEndian) { value.append(contentsOf: $0) }
        value.append(contentsOf: frame[..<count])
        try SnapshotKeys.withKey(stream: stream, name: name, seq: seq) { key in
            try value.withUnsafeBytes { try transaction.put(layout.snapshots, key: key, value: $0) }
        }
    }
}

extension StoreLayout {
    /// The newest usable snapshot of `view` for `stream` at or below `seq`: its seq and state.
    /// Snapshots of another view version, or whose checksum or frame fails, are skipped and
    /// their seqs handed to `skipped` (newest first), so the caller can replace them.
    func snapshot(
        of view: AnyProjection, stream: UInt64, atMost seq: Seq, in transaction: some ReadableTransaction, skipped: (Seq) -> Void = { _ in }
    ) throws -> (seq: Seq, state: JSONValue)? {
        // Made on the first snapshot met: most reads of a young object meet none.
        var decompressor: ZstdDecompressor?
        return try transaction.withCursor(snapshots) { cursor in
            var entry = try SnapshotKeys.withKey(stream: stream, name: view.name, seq: seq) { try cursor.seek(atMost: $0) }
            let prefixCount = 8 + view.name.utf8.count + 1
            while let current = entry, current.key.count == prefixCount + 8 {
                let matches = SnapshotKeys.withKey(stream: stream, name: view.name, seq: 0) { prefix in
                    current.key.prefix(prefixCount).elementsEqual(prefix.prefix(prefixCount))
                }
                guard matches else { return nil }
                let snapshotSeq = StoreKeys.integer(current.key, at: prefixCount)
                if decompressor == nil { decompressor = ZstdDecompressor() }
                if let decompressor, let decoded = Self.decodeSnapshot(current.value, version: view.version, decompressor: decompressor) {
                    return (snapshotSeq, decoded)
                }
                skipped(snapshotSeq)
                entry = try cursor.previous()
            }
            return nil
        }
    }

    private static func decodeSnapshot(_ value: UnsafeRawBufferPointer, version: Int, decompressor: ZstdDecompressor) -> JSONValue? {
        guard value.count > 12, Int(UInt32(littleEndian: value.loadUnaligned(as: UInt32.self))) == version else { return nil }
        let checksum = UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let count = Int(UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        var json = [UInt8](repeating: 0, count: count)
        guard let written = try? json.withUnsafeMutableBytes({ try decompressor.decompress(UnsafeRawBufferPointer(rebasing: value[12...]), into: $0) }),
            written == count, json.withUnsafeBytes({ CRC32C.checksum($0) }) == checksum
        else { return nil }
        return try? json.withUnsafeBytes { try JSONValue(parsing: $0) }
    }
}
