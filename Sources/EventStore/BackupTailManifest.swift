import EventModel

/// What an incremental backup holds, written beside its tail as `manifest.json`: the log
/// positions after the backup it continues (its base: a full backup or another tail, named by
/// the position it ends at and its CRC-32C, so a chain cannot be put together from another
/// store's pieces) through `position`, as JSON Lines (`tail.jsonl.zst`, one zstd frame): each
/// stream once (`{"stream", "tenant"?, "object", "branch", "deleted"?, "parent"?, "forkSeq"?}`)
/// before its first event, then every event in position order (`{"stream", "event": {"seq",
/// "position", "id", "type", "data", "metadata", "time"}}`).
public struct BackupTailManifest: Sendable, Equatable {
    /// The format of the folder.
    public static let format = "evlog-backup-tail/1"
    /// The tail's file name in its folder.
    public static let tailName = "tail.jsonl.zst"

    /// The position the base ends at: the tail's first event is the one after it.
    public let basePosition: Position
    /// The CRC-32C of the base's copy (or tail), as its manifest says.
    public let baseCRC32C: UInt32
    /// The last log position the tail holds (its base's when nothing was committed since).
    public let position: Position
    /// When the tail was cut, ms since the epoch.
    public let createdMilliseconds: Int64
    /// How many events it holds.
    public let events: UInt64
    /// The tail's size and CRC-32C, uncompressed.
    public let bytes: UInt64
    public let crc32c: UInt32
    /// The tail's size as kept, compressed.
    public let compressedBytes: UInt64

    /// A manifest of these facts.
    public init(
        basePosition: Position, baseCRC32C: UInt32, position: Position, createdMilliseconds: Int64, events: UInt64, bytes: UInt64, crc32c: UInt32,
        compressedBytes: UInt64
    ) {
        self.basePosition = basePosition
        self.baseCRC32C = baseCRC32C
        self.position = position
        self.createdMilliseconds = createdMilliseconds
        self.events = events
        self.bytes = bytes
        self.crc32c = crc32c
        self.compressedBytes = compressedBytes
    }

    /// `{"format", "base": {"position", "crc32c"}, "position", "created", "events", "bytes",
    /// "crc32c", "compressedBytes"}` (CRCs as 8 hex digits).
    public var json: [UInt8] {
        let members: [String: JSONValue] = [
            "format": .string(Self.format),
            "base": .object(["position": .number(Double(basePosition)), "crc32c": .string(Self.hex(baseCRC32C))]),
            "position": .number(Double(position)), "created": .number(Double(createdMilliseconds)), "events": .number(Double(events)),
            "bytes": .number(Double(bytes)), "crc32c": .string(Self.hex(crc32c)), "compressedBytes": .number(Double(compressedBytes)),
        ]
        return Array(JSONValue.object(members).jsonText.utf8)
    }

    /// Reads a manifest written by ``json``.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` naming what is wrong.
    public init(parsing bytes: [UInt8]) throws(EventStoreError) {
        let tree: JSONValue
        do { tree = try bytes.withUnsafeBytes { try JSONValue(parsing: $0) } } catch {
            throw .invalidRequest(field: BackupManifest.fileName, reason: "is not JSON")
        }
        guard tree["format"]?.stringValue == Self.format else {
            throw .invalidRequest(field: BackupManifest.fileName, reason: "is not an incremental backup of this format (\(Self.format))")
        }
        func hex(_ value: JSONValue?) -> UInt32? { value?.stringValue.flatMap { UInt32($0, radix: 16) } }
        guard let basePosition = tree["base"]?["position"]?.integerValue, basePosition >= 0, let baseCRC = hex(tree["base"]?["crc32c"]),
            let position = tree["position"]?.integerValue, position >= basePosition, let created = tree["created"]?.integerValue,
            let events = tree["events"]?.integerValue, events >= 0, let bytes = tree["bytes"]?.integerValue, bytes >= 0, let crc = hex(tree["crc32c"]),
            let compressed = tree["compressedBytes"]?.integerValue, compressed >= 0
        else { throw .invalidRequest(field: BackupManifest.fileName, reason: "lacks base, position, created, events, bytes, crc32c or compressedBytes") }
        self.init(
            basePosition: Position(basePosition), baseCRC32C: baseCRC, position: Position(position), createdMilliseconds: Int64(created),
            events: UInt64(events), bytes: UInt64(bytes), crc32c: crc, compressedBytes: UInt64(compressed))
    }

    static func hex(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }
}

/// A backup folder, full or incremental, as its manifest says: what a tail continuing it names.
public enum BackupFolder: Sendable, Equatable {
    /// A full backup (``BackupManifest``).
    case full(BackupManifest)
    /// An incremental one (``BackupTailManifest``).
    case tail(BackupTailManifest)

    /// Reads the manifest in `directory`.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `field`) for a folder
    ///   without a readable manifest of either format (an interrupted backup has none).
    public init(at directory: String, field: String = "from") throws(EventStoreError) {
        let bytes: [UInt8]
        do { bytes = try BackupFiles.read(directory + "/" + BackupManifest.fileName) } catch {
            throw .invalidRequest(field: field, reason: "\(directory) has no manifest.json: not a backup, or one cut short")
        }
        if let full = try? BackupManifest(parsing: bytes) {
            self = .full(full)
        } else {
            do { self = .tail(try BackupTailManifest(parsing: bytes)) } catch {
                throw .invalidRequest(field: field, reason: "\(directory)/manifest.json is neither a backup's nor an incremental backup's")
            }
        }
    }

    /// The last log position the folder's backup holds.
    public var position: Position {
        switch self {
        case .full(let manifest): manifest.position
        case .tail(let manifest): manifest.position
        }
    }

    /// The CRC-32C of its copy or tail: with ``position``, what a tail continuing it names.
    public var crc32c: UInt32 {
        switch self {
        case .full(let manifest): manifest.crc32c
        case .tail(let manifest): manifest.crc32c
        }
    }
}
