import CLMDB

/// An error reported by LMDB, carrying its numeric code and its message.
///
/// Codes are LMDB's own (`MDB_MAP_FULL`, ...) or an `errno` value (`EIO`, `ENOSPC`, ...).
/// Match them by pattern: `catch let error as LMDBError where error == .mapFull`.
/// `MDB_NOTFOUND` never surfaces as an error: lookups return `nil` instead.
public struct LMDBError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The code LMDB returned: one of its `MDB_*` codes or an `errno` value.
    public let code: Int32

    /// Wraps a code returned by an LMDB call.
    public init(code: Int32) { self.code = code }

    /// LMDB's own description of the code (`mdb_strerror`).
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "LMDB error \(code): \(message)" }

    /// `MDB_MAP_FULL`: the environment's map size is reached; grow it and retry.
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    /// `MDB_MAP_RESIZED`: another process grew the map; this one must adopt the new size.
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    /// `MDB_TXN_FULL`: the transaction has too many dirty pages.
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    /// `MDB_KEYEXIST`: the key exists and the put asked not to overwrite it.
    public static let keyExists = LMDBError(code: MDB_KEYEXIST)
    /// `MDB_PANIC`: a fatal error; the environment must be closed and opened again.
    public static let panic = LMDBError(code: MDB_PANIC)
    /// `MDB_READERS_FULL`: every reader slot is taken.
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    /// `MDB_BAD_VALSIZE`: a key is empty or longer than 511 bytes.
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    /// `MDB_INVALID`: the file is not an LMDB file.
    public static let invalid = LMDBError(code: MDB_INVALID)
    /// `MDB_VERSION_MISMATCH`: the file was written by an incompatible LMDB.
    public static let versionMismatch = LMDBError(code: MDB_VERSION_MISMATCH)
    /// `EIO`: the disk reported an I/O error (tmpfs reports a full disk this way).
    public static let ioError = LMDBError(code: 5)
    /// `ENOSPC`: no space is left on the device.
    public static let noSpace = LMDBError(code: 28)
    /// `EBADF`: the environment was closed by this process.
    public static let environmentClosed = LMDBError(code: 9)
    /// `EACCES`: the file or transaction does not permit the operation.
    public static let permissionDenied = LMDBError(code: 13)

    /// True for the errors that mean the disk is full or failing (`EIO`, `ENOSPC`, `EDQUOT`,
    /// `EFBIG`, `EROFS`, `MDB_PANIC`).
    public var isStorageFailure: Bool { [5, 28, 122, 27, 30].contains(code) || self == .panic }
}

/// Turns an LMDB return code into a thrown ``LMDBError``; `MDB_SUCCESS` returns normally.
@inline(__always)
func check(_ code: Int32) throws(LMDBError) {
    if code != MDB_SUCCESS { throw LMDBError(code: code) }
}

/// A commit that failed: the transaction is gone and, unless the code is
/// ``LMDBError/mapFull``, its sync may have failed half-way.
public struct CommitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What LMDB returned from `mdb_txn_commit`.
    public let error: LMDBError

    public var description: String { "commit failed: \(error)" }
}
