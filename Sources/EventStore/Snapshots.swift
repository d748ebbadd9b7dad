import EventModel
import LMDB
import Sealing
import Zstd

/// A snapshot to write again because the one stored was damaged (a failed checksum or frame):
/// the summary folded from the events at its seq (a keyed view's rows at that seq are in
/// storage already, written before the snapshot was).
struct SnapshotRepair {
    let stream: UInt64
    let viewName: String
    let version: Int
    let seq: Seq
    let summary: [UInt8]
}

/// Snapshots of view states: `stream + view name + 0 + seq → version + CRC-32C + length + zstd
/// frame of the summary's JSON`. Every checkpoint of a view writes one, after the rows it
/// changed (for a keyed view): a snapshot at seq s says "the summary after s is this, and the
/// rows after s are the stored versions at or below s".
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
    private let compressor: ZstdCompressor

    init() { compressor = ZstdCompressor(level: 3) }

    private init(compressor: ZstdCompressor) { self.compressor = compressor }

    /// ``value(version:summary:)`` with a compressor from ``CompressorPool`` (checkpoints encode
    /// many small summaries, each on whichever thread runs its job; making a compressor costs
    /// more than compressing one).
    static func pooledValue(version: Int, summary json: [UInt8]) throws -> [UInt8] {
        try CompressorPool.shared.with { try SnapshotWriter(compressor: $0).value(version: version, summary: json) }
    }

    /// The stored value of a snapshot of `summary` (compact JSON) by view `version`.
    func value(version: Int, summary json: [UInt8]) throws -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: ZstdCompressor.bound(json.count))
        let count = try json.withUnsafeBytes { input in try frame.withUnsafeMutableBytes { try compressor.compress(input, into: $0) } }
        var value = [UInt8]()
        value.reserveCapacity(12 + count)
        withUnsafeBytes(of: UInt32(version).littleEndian) { value.append(contentsOf: $0) }
        let checksum = json.withUnsafeBytes { CRC32C.checksum($0) }
        withUnsafeBytes(of: checksum.littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { value.append(contentsOf: $0) }
        value.append(contentsOf: frame[..<count])
        return value
    }

    /// Stores the snapshot of `summary` (compact JSON) of the view `name` of `stream` at `seq`,
    /// sealed under its object's key when the store seals.
    func write(stream: UInt64, name: String, version: Int, seq: Seq, summary json: [UInt8], layout: StoreLayout, transaction: WriteTransaction) throws {
        let plain = try value(version: version, summary: json)
        let key = try layout.sealingKey(ofStream: stream, in: transaction)
        try SnapshotKeys.withKey(stream: stream, name: name, seq: seq) { recordKey in
            let value = try key.map { try SealedValue.sealSnapshot(plain, key: $0, recordKey: recordKey, context: AESGCM()) } ?? plain
            try value.withUnsafeBytes { try transaction.put(layout.snapshots, key: recordKey, value: $0) }
        }
    }
}

extension StoreLayout {
    /// The newest usable snapshot of `view` for `stream` at or below `seq`: its seq and summary.
    /// Snapshots of another view version are passed over; those whose checksum or frame fails
    /// are passed over too and their seqs handed to `skipped` (newest first), so the caller can
    /// write them again.
    func snapshot(
        of view: AnyProjection, stream: UInt64, atMost seq: Seq, in transaction: some ReadableTransaction, skipped: (Seq) -> Void = { _ in }
    ) throws -> (seq: Seq, summary: JSONValue)? {
        try snapshot(name: view.name, version: view.version, stream: stream, atMost: seq, in: transaction, skipped: skipped)
    }

    /// The newest usable snapshot of the view `name` at `version` for `stream` at or below `seq`
    /// (for a cross-object view, stream 0 and a log position), as above.
    func snapshot(
        name: String, version: Int, stream: UInt64, atMost seq: Seq, in transaction: some ReadableTransaction, skipped: (Seq) -> Void = { _ in }
    ) throws -> (seq: Seq, summary: JSONValue)? {
        // Made on the first snapshot of the view's version met: most reads of a young object,
        // and a rebuild's of every object, meet none.
        var decompressor: ZstdDecompressor?
        return try transaction.withCursor(snapshots) { cursor in
            var entry = try SnapshotKeys.withKey(stream: stream, name: name, seq: seq) { try cursor.seek(atMost: $0) }
            let prefixCount = 8 + name.utf8.count + 1
            while let current = entry, current.key.count == prefixCount + 8 {
                let matches = SnapshotKeys.withKey(stream: stream, name: name, seq: 0) { prefix in
                    current.key.prefix(prefixCount).elementsEqual(prefix.prefix(prefixCount))
                }
                guard matches else { return nil }
                let snapshotSeq = StoreKeys.integer(current.key, at: prefixCount)
                if current.value.count >= 4, Int(UInt32(littleEndian: current.value.loadUnaligned(as: UInt32.self))) == version {
                    let made = decompressor ?? ZstdDecompressor()
                    decompressor = made
                    if let plain = try plainSnapshot(current.value, recordKey: current.key, stream: stream, in: transaction),
                        let decoded = plain.withUnsafeBytes({ Self.decodeSnapshot($0, decompressor: made) })
                    {
                        return (snapshotSeq, decoded)
                    }
                    skipped(snapshotSeq)
                }
                entry = try cursor.previous()
            }
            return nil
        }
    }

    static func decodeSnapshot(_ value: UnsafeRawBufferPointer, decompressor: ZstdDecompressor) -> JSONValue? {
        guard value.count > 12 else { return nil }
        let checksum = UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let count = Int(UInt32(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        // Checked before any memory is taken for it (found by fuzzing: a damaged length would
        // have allocated up to 4 GiB).
        guard ZstdDecompressor.contentSize(of: UnsafeRawBufferPointer(rebasing: value[12...])) == count else { return nil }
        var json = [UInt8](repeating: 0, count: count)
        guard let written = try? json.withUnsafeMutableBytes({ try decompressor.decompress(UnsafeRawBufferPointer(rebasing: value[12...]), into: $0) }),
            written == count, json.withUnsafeBytes({ CRC32C.checksum($0) }) == checksum
        else { return nil }
        return try? json.withUnsafeBytes { try JSONValue(parsing: $0) }
    }
}
