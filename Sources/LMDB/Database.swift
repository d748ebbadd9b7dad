import CLMDB

/// A named database inside an ``Environment``.
///
/// Handles are opened once, when the environment opens, and stay valid for its lifetime
/// (reopening the environment keeps them valid: names are reopened in the same order).
public struct Database: Sendable, Hashable {
    /// The name given when the environment was configured.
    public let name: String
    let handle: MDB_dbi
}

/// Flags for a put (`MDB_NOOVERWRITE`, `MDB_APPEND`).
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_NOOVERWRITE`: fail with ``LMDBError/keyExists`` if the key is present.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_APPEND`: the key is greater than every key in the database; LMDB skips the search
    /// and fills pages completely. A key out of order fails with ``LMDBError/keyExists``.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// One key/value pair borrowed from LMDB.
///
/// The bytes point into the memory map: they are valid only until the transaction ends or the
/// next write in it, and must be copied to outlive that.
public struct Entry {
    /// The key's bytes.
    public let key: UnsafeRawBufferPointer
    /// The value's bytes.
    public let value: UnsafeRawBufferPointer
}
