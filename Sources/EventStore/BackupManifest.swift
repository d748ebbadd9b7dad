import EventModel

/// What a backup holds, written beside its copy as `manifest.json`: the log position the copy
/// ends at (every event committed at or before it is in it, none after), when it was taken, the
/// copy's size and CRC-32C (uncompressed), which a restore checks before the copy becomes a
/// store, and the size of the copy as kept (`data.mdb.zst`, one zstd frame).
public struct BackupManifest: Sendable, Equatable {
    /// The format of the folder: `evlog-backup/1` (a compacted LMDB copy as one zstd frame,
    /// `data.mdb.zst`).
    public static let format = "evlog-backup/1"
    /// The manifest's file name in a backup folder.
    public static let fileName = "manifest.json"
    /// The copy's file name in a backup folder.
    public static let copyName = "data.mdb.zst"

    /// The last log position the copy holds (0: an empty store).
    public let position: Position
    /// When the copy was taken, ms since the epoch.
    public let createdMilliseconds: Int64
    /// The copy's size, bytes.
    public let bytes: UInt64
    /// The copy's CRC-32C.
    public let crc32c: UInt32
    /// The size of the copy as kept, compressed.
    public let compressedBytes: UInt64

    /// A manifest of these facts.
    public init(position: Position, createdMilliseconds: Int64, bytes: UInt64, crc32c: UInt32, compressedBytes: UInt64) {
        self.position = position
        self.createdMilliseconds = createdMilliseconds
        self.bytes = bytes
        self.crc32c = crc32c
        self.compressedBytes = compressedBytes
    }

    /// `{"format", "position", "created", "bytes", "crc32c", "compressedBytes"}` (the CRC as 8
    /// hex digits).
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.ascii("{\"format\":")
        writer.string(Self.format)
        writer.ascii(",\"position\":")
        writer.integer(position)
        writer.ascii(",\"created\":")
        writer.integer(createdMilliseconds)
        writer.ascii(",\"bytes\":")
        writer.integer(bytes)
        writer.ascii(",\"crc32c\":")
        let hex = String(crc32c, radix: 16)
        writer.string(String(repeating: "0", count: 8 - hex.count) + hex)
        writer.ascii(",\"compressedBytes\":")
        writer.integer(compressedBytes)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Reads a manifest written by ``json``.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` naming what is wrong.
    public init(parsing bytes: [UInt8]) throws(EventStoreError) {
        let tree: JSONValue
        do { tree = try bytes.withUnsafeBytes { try JSONValue(parsing: $0) } } catch {
            throw .invalidRequest(field: Self.fileName, reason: "is not JSON")
        }
        guard tree["format"]?.stringValue == Self.format else {
            throw .invalidRequest(field: Self.fileName, reason: "is not a backup of this format (\(Self.format))")
        }
        guard let position = tree["position"]?.integerValue, position >= 0, let created = tree["created"]?.integerValue,
            let bytes = tree["bytes"]?.integerValue, bytes >= 0, let crc = tree["crc32c"]?.stringValue.flatMap({ UInt32($0, radix: 16) }),
            let compressed = tree["compressedBytes"]?.integerValue, compressed >= 0
        else { throw .invalidRequest(field: Self.fileName, reason: "lacks position, created, bytes, crc32c or compressedBytes") }
        self.init(position: Position(position), createdMilliseconds: Int64(created), bytes: UInt64(bytes), crc32c: crc, compressedBytes: UInt64(compressed))
    }
}
