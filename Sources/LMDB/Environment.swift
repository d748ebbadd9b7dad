import CLMDB
import Glibc

/// An LMDB environment: one directory holding `data.mdb` and `lock.mdb`, with named databases.
///
/// Guarantees:
/// - opened with `MDB_NOTLS` and LMDB's default durability (every commit is synced);
///   no `MDB_NOSYNC`, `MDB_WRITEMAP` or `MDB_MAPASYNC`;
/// - stale reader slots left by dead processes are cleared on open (`mdb_reader_check`);
/// - transactions are closures that cannot `await`: commit on return, abort on throw;
/// - ``growMap()`` and ``reopen()`` wait for every transaction of this process to end first,
///   as LMDB requires and does not check.
public final class Environment: @unchecked Sendable {
    /// How to open an environment.
    public struct Configuration: Sendable {
        /// The directory holding the environment (created if missing).
        public var directory: String
        /// The map size to start with, in bytes; it grows by itself up to ``mapSizeMaxBytes``.
        public var mapSizeBytes: Int
        /// The largest map the environment may grow to, in bytes.
        public var mapSizeMaxBytes: Int
        /// The named databases to open (created if missing), in a fixed order.
        public var databaseNames: [String]
        /// The most concurrent read transactions.
        public var maxReaders: UInt32

        /// A configuration for `directory` with the given databases.
        public init(
            directory: String, databaseNames: [String], mapSizeBytes: Int = 64 << 20,
            mapSizeMaxBytes: Int = 1 << 40, maxReaders: UInt32 = 512
        ) {
            self.directory = directory
            self.databaseNames = databaseNames
            self.mapSizeBytes = mapSizeBytes
            self.mapSizeMaxBytes = max(mapSizeBytes, mapSizeMaxBytes)
            self.maxReaders = maxReaders
        }
    }

    /// The configuration the environment was opened with; `mapSizeBytes` follows growth.
    public private(set) var configuration: Configuration
    private var pointer: OpaquePointer
    private var databases: [String: Database] = [:]
    private let gate = ReadWriteLock()
    private var isClosed = false

    /// Opens (or creates) the environment and every database named in `configuration`.
    /// - Throws: ``LMDBError`` if the directory cannot be created or LMDB refuses to open it.
    public init(configuration: Configuration) throws(LMDBError) {
        self.configuration = configuration
        if mkdir(configuration.directory, 0o755) != 0 && errno != EEXIST { throw LMDBError(code: errno) }
        self.pointer = try Self.open(configuration)
        self.databases = try Self.openDatabases(pointer, names: configuration.databaseNames)
        self.configuration.mapSizeBytes = try Self.mapSize(pointer)
        // A new data.mdb must survive a power cut with its first commit: sync the directory
        // entries too (ext4 journals them; XFS and btrfs may not).
        Self.syncDirectory(configuration.directory)
    }

    private static func syncDirectory(_ path: String) {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        Glibc.close(descriptor)
    }

    private static func mapSize(_ environment: OpaquePointer) throws(LMDBError) -> Int {
        var info = MDB_envinfo()
        try check(mdb_env_info(environment, &info))
        return info.me_mapsize
    }

    deinit {
        if !isClosed { mdb_env_close(pointer) }
    }

    private static func open(_ configuration: Configuration) throws(LMDBError) -> OpaquePointer {
        var created: OpaquePointer?
        try check(mdb_env_create(&created))
        guard let environment = created else { throw LMDBError(code: ENOMEM) }
        do {
            try check(mdb_env_set_maxdbs(environment, MDB_dbi(configuration.databaseNames.count + 1)))
            try check(mdb_env_set_maxreaders(environment, configuration.maxReaders))
            try check(mdb_env_set_mapsize(environment, configuration.mapSizeBytes))
            try check(mdb_env_open(environment, configuration.directory, UInt32(MDB_NOTLS), 0o644))
            var dead: Int32 = 0
            try check(mdb_reader_check(environment, &dead))
        } catch {
            mdb_env_close(environment)
            throw error
        }
        return environment
    }

    private static func openDatabases(_ environment: OpaquePointer, names: [String]) throws(LMDBError) -> [String: Database] {
        var transaction: OpaquePointer?
        try check(mdb_txn_begin(environment, nil, 0, &transaction))
        var opened: [String: Database] = [:]
        for name in names {
            var handle: MDB_dbi = 0
            let code = mdb_dbi_open(transaction, name, UInt32(MDB_CREATE), &handle)
            if code != MDB_SUCCESS {
                mdb_txn_abort(transaction)
                throw LMDBError(code: code)
            }
            opened[name] = Database(name: name, handle: handle)
        }
        try check(mdb_txn_commit(transaction))
        return opened
    }

    /// The database opened under `name`; a name not in the configuration is a programming error.
    public func database(_ name: String) -> Database {
        guard let database = databases[name] else { preconditionFailure("database \(name) was not configured") }
        return database
    }

    /// Runs `body` in a read-only transaction, which is aborted when `body` returns or throws.
    /// - Throws: ``LMDBError`` if the transaction cannot begin (``LMDBError/environmentClosed``
    ///   after ``close()``), or what `body` throws.
    @inline(__always)
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        try gate.withShared {
            guard !isClosed else { throw LMDBError.environmentClosed }
            var transaction: OpaquePointer?
            try check(mdb_txn_begin(pointer, nil, UInt32(MDB_RDONLY), &transaction))
            defer { mdb_txn_abort(transaction) }
            return try body(ReadTransaction(transaction: TransactionHandle(pointer: transaction!)))
        }
    }

    /// Runs `body` in a write transaction and commits it (one sync) if `body` returns;
    /// aborts it if `body` throws. Writers are serialized by LMDB.
    /// - Throws: what `body` throws (the transaction is aborted), ``LMDBError`` if it cannot
    ///   begin, or ``CommitError`` if the commit fails: with ``LMDBError/mapFull`` grow and retry;
    ///   with anything else (`EIO`, `ENOSPC`, `EDQUOT`, ...) the sync may have failed, nothing of
    ///   the transaction can be trusted, and the caller must ``reopen()`` before writing again.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try gate.withShared {
            guard !isClosed else { throw LMDBError.environmentClosed }
            var transaction: OpaquePointer?
            try check(mdb_txn_begin(pointer, nil, 0, &transaction))
            let result: R
            do {
                result = try body(WriteTransaction(transaction: TransactionHandle(pointer: transaction!)))
            } catch {
                mdb_txn_abort(transaction)
                throw error
            }
            let code = mdb_txn_commit(transaction)
            guard code == MDB_SUCCESS else { throw CommitError(error: LMDBError(code: code)) }
            return result
        }
    }

    /// Doubles the map size, up to the configured maximum, once every transaction has ended.
    /// - Returns: false when the map is already at its maximum.
    /// - Throws: ``LMDBError`` if LMDB refuses the new size.
    public func growMap() throws(LMDBError) -> Bool {
        try gate.withExclusive { () throws(LMDBError) -> Bool in
            let current = configuration.mapSizeBytes
            guard current < configuration.mapSizeMaxBytes else { return false }
            let grown = min(configuration.mapSizeMaxBytes, current.multipliedReportingOverflow(by: 2).partialValue)
            try check(mdb_env_set_mapsize(pointer, grown))
            configuration.mapSizeBytes = grown
            return true
        }
    }

    /// Closes and opens the environment again, once every transaction has ended. Needed after a
    /// failed sync: LMDB would otherwise let writing continue over pages the disk never took.
    /// Database handles stay valid.
    /// - Throws: ``LMDBError`` if the environment cannot be opened again; it is then closed.
    public func reopen() throws(LMDBError) {
        try gate.withExclusive { () throws(LMDBError) in
            if !isClosed { mdb_env_close(pointer) }
            isClosed = true
            let reopenedPointer = try Self.open(configuration)
            do throws(LMDBError) {
                let reopened = try Self.openDatabases(reopenedPointer, names: configuration.databaseNames)
                precondition(reopened == databases, "database handles changed across reopen")
                configuration.mapSizeBytes = try Self.mapSize(reopenedPointer)
            } catch {
                mdb_env_close(reopenedPointer)
                throw error
            }
            pointer = reopenedPointer
            isClosed = false
        }
    }

    /// Writes a consistent copy of the environment as `data.mdb` in the existing empty directory
    /// `directory`, from one read transaction, while writers go on; `compact` leaves out free
    /// pages (`MDB_CP_COMPACT`). Map growth and reopening wait for it to end.
    /// - Throws: ``LMDBError`` if LMDB cannot write the copy.
    public func copy(to directory: String, compact: Bool) throws(LMDBError) {
        try gate.withShared { () throws(LMDBError) in
            guard !isClosed else { throw LMDBError.environmentClosed }
            try check(mdb_env_copy2(pointer, directory, compact ? UInt32(MDB_CP_COMPACT) : 0))
        }
    }

    /// Clears reader slots left by dead processes or threads; returns how many were cleared.
    @discardableResult
    public func clearStaleReaders() throws(LMDBError) -> Int {
        try gate.withShared { () throws(LMDBError) -> Int in
            var dead: Int32 = 0
            try check(mdb_reader_check(pointer, &dead))
            return Int(dead)
        }
    }

    /// Facts about the map: its size, the pages in use and the page size.
    public func info() throws(LMDBError) -> EnvironmentInfo {
        try gate.withShared { () throws(LMDBError) -> EnvironmentInfo in
            var info = MDB_envinfo()
            try check(mdb_env_info(pointer, &info))
            var stat = MDB_stat()
            try check(mdb_env_stat(pointer, &stat))
            return EnvironmentInfo(
                mapSizeBytes: info.me_mapsize, mapSizeMaxBytes: configuration.mapSizeMaxBytes,
                usedBytes: (Int(info.me_last_pgno) + 1) * Int(stat.ms_psize), pageSizeBytes: Int(stat.ms_psize),
                readersInUse: Int(info.me_numreaders))
        }
    }

    /// Closes the environment once every transaction has ended; later transactions throw
    /// ``LMDBError/environmentClosed``.
    public func close() {
        gate.withExclusive {
            if !isClosed { mdb_env_close(pointer) }
            isClosed = true
        }
    }
}

/// A snapshot of an environment's map.
public struct EnvironmentInfo: Sendable, Equatable {
    /// The current map size in bytes.
    public let mapSizeBytes: Int
    /// The largest the map may grow to, in bytes.
    public let mapSizeMaxBytes: Int
    /// Bytes used by pages written so far.
    public let usedBytes: Int
    /// The page size in bytes.
    public let pageSizeBytes: Int
    /// Reader slots in use (by any process).
    public let readersInUse: Int
}
