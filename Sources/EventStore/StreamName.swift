import EventModel

/// One line of history: an object and one of its branches. Each has its own dense seqs and is
/// stored as a compact stream number, so event keys stay 16 bytes.
public struct StreamName: Hashable, Sendable, CustomStringConvertible {
    /// The object.
    public let object: ObjectKey
    /// The branch of the object.
    public let branch: BranchName
    /// Appended to a branch's name in its record (and so in the log) once it is deleted: the
    /// log keeps its events as `BRANCH~deleted`.
    public static let deletedSuffix = "~deleted"

    /// The key in the `stream-names` database: the object's storage name (`type/id`, after
    /// `tenant|` for any tenant but the default), a zero byte, the branch. Zero bytes cannot
    /// appear in a validated name, so the encoding is unambiguous. Made once, here, so the
    /// writer never builds it.
    let storageKey: [UInt8]

    /// The stream of `object` on `branch`.
    public init(object: ObjectKey, branch: BranchName = .main) {
        self.object = object
        self.branch = branch
        var key = object.storageName
        key.append(0)
        key.append(contentsOf: branch.name.utf8)
        storageKey = key
    }

    public static func == (lhs: StreamName, rhs: StreamName) -> Bool { lhs.storageKey == rhs.storageKey }
    public func hash(into hasher: inout Hasher) { hasher.combine(storageKey) }

    /// `type/id` on `branch`.
    public var description: String { branch == .main ? object.description : "\(object)@\(branch)" }
}

/// The value stored for each stream in the `streams` database, keyed by stream number.
///
/// Layout (little-endian): parent stream (8), fork seq (8), created time in ms (8), then the
/// stream's storage key (`type/id`, 0, branch).
struct StreamRecord {
    static let headerBytes = 24
    /// How deep forks of forks may nest.
    static let depthMax = 64

    /// Writes a stream record: `parent` 0 for a root stream (stream numbers start at 1).
    static func encode(createdMilliseconds: Int64, storageKey: [UInt8], parent: UInt64 = 0, forkSeq: Seq = 0) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerBytes)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: parent.littleEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: forkSeq.littleEndian, toByteOffset: 8, as: UInt64.self)
            $0.storeBytes(of: createdMilliseconds.littleEndian, toByteOffset: 16, as: Int64.self)
        }
        bytes.append(contentsOf: storageKey)
        return bytes
    }

    /// The parent stream (0: none), the fork seq and the creation time of a stored record.
    static func header(_ record: UnsafeRawBufferPointer) -> (parent: UInt64, forkSeq: Seq, createdMilliseconds: Int64) {
        (
            UInt64(littleEndian: record.loadUnaligned(as: UInt64.self)),
            UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            Int64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: Int64.self))
        )
    }

    /// The storage name (`[tenant|]type/id`) and branch parts of a stored record, as borrowed bytes.
    static func nameParts(_ record: UnsafeRawBufferPointer) -> (object: UnsafeRawBufferPointer, branch: UnsafeRawBufferPointer) {
        let key = UnsafeRawBufferPointer(rebasing: record[headerBytes...])
        let zero = key.firstIndex(of: 0) ?? key.endIndex
        return (
            UnsafeRawBufferPointer(rebasing: key[..<zero]),
            UnsafeRawBufferPointer(rebasing: key[min(zero + 1, key.endIndex)...])
        )
    }
}
