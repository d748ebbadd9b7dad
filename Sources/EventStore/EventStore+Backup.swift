import EventModel
import Glibc
import LMDB
import Zstd

extension EventStore {
    /// Writes a consistent backup of the whole store into `directory` (created; it must hold
    /// nothing) while the store keeps serving: a compacted copy of the LMDB environment taken
    /// from one read transaction, kept as one zstd frame (`data.mdb.zst`), then its
    /// ``BackupManifest`` (`manifest.json`, written last: a folder without one is not a
    /// backup). Runs on a thread of its own, off the caller's.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `to`) for a folder
    ///   that cannot be made or holds files; ``EventStoreError/storageFailure(_:)`` if the
    ///   copy fails (what was written is removed).
    public func backup(to directory: String) async throws(EventStoreError) -> BackupManifest {
        try await BlockingThread.run { self.backupNow(to: directory) }.get()
    }

    private func backupNow(to directory: String) -> Result<BackupManifest, EventStoreError> {
        if mkdir(directory, 0o755) != 0 {
            guard errno == EEXIST, BackupFiles.isEmptyDirectory(directory) else {
                return .failure(.invalidRequest(field: "to", reason: "\(directory) cannot be made, or holds files already (a backup goes to a new or empty folder)"))
            }
        }
        let created = clock.nowMilliseconds()
        do throws(LMDBError) {
            try environment.copy(to: directory, compact: true)
        } catch {
            BackupFiles.remove(directory + "/data.mdb")
            return .failure(error == .environmentClosed ? .closed : .storageFailure(error))
        }
        let copy = directory + "/data.mdb"
        defer { BackupFiles.remove(copy) }
        do throws(EventStoreError) {
            let position = try BackupFiles.lastPosition(ofCopyIn: directory)
            let kept = directory + "/" + BackupManifest.copyName
            let (bytes, crc, compressed) = try BackupFiles.compress(copy, to: kept)
            let manifest = BackupManifest(position: position, createdMilliseconds: created, bytes: bytes, crc32c: crc, compressedBytes: compressed)
            try BackupFiles.write(manifest.json, to: directory + "/" + BackupManifest.fileName)
            return .success(manifest)
        } catch {
            BackupFiles.remove(directory + "/" + BackupManifest.copyName)
            return .failure(error)
        }
    }

    /// Restores the backup in `backup` into the data folder `data` (created; it must hold no
    /// store): decompresses the copy beside the folder's `data.mdb`, checks its size and CRC-32C
    /// against the manifest, syncs it, and only then names it `data.mdb`. Open the folder as a
    /// store afterwards (and `evtool verify` it).
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for a folder that is not a
    ///   backup, a copy that does not match its manifest (no `data.mdb` is left then) or a data
    ///   folder that holds a store.
    public static func restore(from backup: String, into data: String) throws(EventStoreError) -> BackupManifest {
        guard case .full(let manifest) = try BackupFolder(at: backup) else {
            throw .invalidRequest(field: "from", reason: "\(backup) is an incremental backup: restore the full backup it continues (--from) and give it as a tail (--tail)")
        }
        if mkdir(data, 0o755) != 0, errno != EEXIST { throw .dataFolderUnusable(path: data, reason: String(cString: strerror(errno))) }
        guard access(data + "/data.mdb", F_OK) != 0 else {
            throw .invalidRequest(field: "data", reason: "\(data) holds a store already: restore into a new or empty folder")
        }
        try BackupFiles.decompress(backup + "/" + BackupManifest.copyName, to: data + "/data.mdb", expecting: manifest)
        // Its ids roll back to the backup's: its next open draws a new sealing epoch, so an id
        // sent again never seals under a nonce the store used before.
        do {
            let environment = try Environment(
                configuration: .init(directory: data, databaseNames: StoreLayout.databaseNames, mapSizeBytes: max(Int(manifest.bytes) * 2, 1 << 28), mapSizeMaxBytes: 1 << 40))
            defer { environment.close() }
            try environment.write { transaction in try ObjectKeyRing.forgetEpoch(layout: StoreLayout(environment), transaction: transaction) }
        } catch {
            throw .storageFailure(error as? LMDBError ?? LMDBError(code: -1))
        }
        return manifest
    }
}

/// The files of a backup: reading, writing and checking them with plain system calls.
enum BackupFiles {
    /// Whether `path` is a directory with no entries but `.` and `..`.
    static func isEmptyDirectory(_ path: String) -> Bool {
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    static func remove(_ path: String) { unlink(path) }

    /// The last log position of the LMDB copy in `directory` (opened read-only for it).
    static func lastPosition(ofCopyIn directory: String) throws(EventStoreError) -> Position {
        do {
            let environment = try Environment(configuration: .init(directory: directory, databaseNames: StoreLayout.databaseNames))
            defer {
                environment.close()
                unlink(directory + "/lock.mdb")
            }
            let log = environment.database("log")
            return try environment.read { transaction in
                try transaction.withCursor(log) { cursor in try cursor.last().map { StoreKeys.integer($0.key) } ?? 0 }
            }
        } catch let error as LMDBError {
            throw .storageFailure(error)
        } catch {
            throw .storageFailure(LMDBError(code: -1))
        }
    }

    /// Compresses the file `source` into a new file `target` (one zstd frame, synced): the
    /// source's size and CRC-32C, and the target's size.
    static func compress(_ source: String, to target: String) throws(EventStoreError) -> (UInt64, UInt32, UInt64) {
        let input = open(source, O_RDONLY)
        guard input >= 0 else { throw .invalidRequest(field: "to", reason: "\(source) cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard output >= 0 else { throw .invalidRequest(field: "to", reason: "\(target) cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var crc: UInt32 = 0
        var bytes: UInt64 = 0
        var compressed: UInt64 = 0
        do {
            try ZstdCompressor(level: 3).compressStream(
                read: { buffer in
                    let count = Glibc.read(input, buffer.baseAddress, buffer.count)
                    guard count >= 0 else { throw EventStoreError.invalidRequest(field: "to", reason: "\(source) cannot be read") }
                    crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[..<count]), continuing: crc)
                    bytes += UInt64(count)
                    return count
                },
                write: { piece in
                    guard Glibc.write(output, piece.baseAddress, piece.count) == piece.count else {
                        throw EventStoreError.invalidRequest(field: "to", reason: "\(target) cannot be written: \(String(cString: strerror(errno)))")
                    }
                    compressed += UInt64(piece.count)
                })
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw .invalidRequest(field: "to", reason: "\(target): \(error)")
        }
        guard fsync(output) == 0 else { throw .invalidRequest(field: "to", reason: "\(target) cannot be synced: \(String(cString: strerror(errno)))") }
        return (bytes, crc, compressed)
    }

    /// Decompresses the backup's copy `source` into `target`, written first as `target.partial`
    /// and renamed once its size and CRC-32C match `manifest` and it is synced (removed if not).
    static func decompress(_ source: String, to target: String, expecting manifest: BackupManifest) throws(EventStoreError) {
        try decompress(source, to: target, bytes: manifest.bytes, crc32c: manifest.crc32c, compressedBytes: manifest.compressedBytes)
    }

    /// Decompresses `source` into `target` as ``decompress(_:to:expecting:)`` does, checked
    /// against these sizes and CRC-32C.
    static func decompress(_ source: String, to target: String, bytes expectedBytes: UInt64, crc32c: UInt32, compressedBytes: UInt64) throws(EventStoreError) {
        let input = open(source, O_RDONLY)
        guard input >= 0 else { throw .invalidRequest(field: "from", reason: "\(source) cannot be read: is this a backup folder?") }
        defer { close(input) }
        let partial = target + ".partial"
        unlink(partial)
        let output = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard output >= 0 else { throw .dataFolderUnusable(path: partial, reason: String(cString: strerror(errno))) }
        var crc: UInt32 = 0
        var bytes: UInt64 = 0
        var compressed: UInt64 = 0
        var failure: EventStoreError?
        do {
            try ZstdDecompressor().decompressStream(
                read: { buffer in
                    let count = Glibc.read(input, buffer.baseAddress, buffer.count)
                    guard count >= 0 else { throw EventStoreError.invalidRequest(field: "from", reason: "\(source) cannot be read") }
                    compressed += UInt64(count)
                    return count
                },
                write: { piece in
                    crc = CRC32C.checksum(piece, continuing: crc)
                    bytes += UInt64(piece.count)
                    guard bytes <= expectedBytes, Glibc.write(output, piece.baseAddress, piece.count) == piece.count else {
                        throw EventStoreError.invalidRequest(field: "from", reason: "\(source) holds more than its manifest says, or cannot be written out")
                    }
                })
        } catch let error as EventStoreError {
            failure = error
        } catch {
            failure = .invalidRequest(field: "from", reason: "\(source) is damaged: \(error)")
        }
        if failure == nil, compressed != compressedBytes || bytes != expectedBytes || crc != crc32c {
            failure = .invalidRequest(field: "from", reason: "\(source) does not match its manifest (size or CRC-32C): the backup is damaged")
        }
        if failure == nil, fsync(output) != 0 { failure = .dataFolderUnusable(path: partial, reason: String(cString: strerror(errno))) }
        close(output)
        if failure == nil, rename(partial, target) != 0 { failure = .dataFolderUnusable(path: target, reason: String(cString: strerror(errno))) }
        if let failure {
            unlink(partial)
            throw failure
        }
    }

    /// The whole file at `path` (a manifest: small).
    static func read(_ path: String) throws(EventStoreError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .invalidRequest(field: "from", reason: "\(path) cannot be read: is this a backup folder?") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// Writes `bytes` to a new file at `path`, synced.
    static func write(_ bytes: [UInt8], to path: String) throws(EventStoreError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw .invalidRequest(field: "to", reason: "\(path) cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw .invalidRequest(field: "to", reason: "\(path) cannot be written: \(String(cString: strerror(errno)))")
        }
    }
}

extension EventStore {
    /// Compacts the store in the data folder `directory` (no process may hold it: the folder's
    /// lock is taken for the whole run): copies the environment without its free pages into a
    /// folder beside it, syncs the copy, and renames it over `data.mdb`, so a crash leaves either
    /// the old file or the compacted one, never half of one. Returns the file's size before and
    /// after.
    /// - Throws: ``EventStoreError/dataFolderInUse(path:holder:)`` while another process holds
    ///   the folder; ``EventStoreError/dataFolderUnusable(path:reason:)`` without a store in it;
    ///   ``EventStoreError/storageFailure(_:)`` if the copy fails (the store is left as it was).
    public static func compact(directory: String) throws(EventStoreError) -> (before: UInt64, after: UInt64) {
        guard access(directory + "/data.mdb", F_OK) == 0 else { throw .dataFolderUnusable(path: directory, reason: "it holds no store (no data.mdb)") }
        let lock = try DataFolderLock(directory: directory, holder: "evtool compact, pid \(getpid())")
        defer { lock.release() }
        let scratch = directory + "/compacting"
        BackupFiles.remove(scratch + "/data.mdb")
        rmdir(scratch)
        guard mkdir(scratch, 0o755) == 0 else { throw .dataFolderUnusable(path: scratch, reason: String(cString: strerror(errno))) }
        defer {
            BackupFiles.remove(scratch + "/data.mdb")
            rmdir(scratch)
        }
        do {
            let environment = try Environment(configuration: .init(directory: directory, databaseNames: StoreLayout.databaseNames))
            defer { environment.close() }
            try environment.copy(to: scratch, compact: true)
        } catch {
            throw .storageFailure(error)
        }
        let before = try BackupFiles.size(directory + "/data.mdb")
        let copy = open(scratch + "/data.mdb", O_RDONLY)
        guard copy >= 0, fsync(copy) == 0 else { throw .dataFolderUnusable(path: scratch, reason: String(cString: strerror(errno))) }
        Glibc.close(copy)
        guard rename(scratch + "/data.mdb", directory + "/data.mdb") == 0 else {
            throw .dataFolderUnusable(path: directory, reason: String(cString: strerror(errno)))
        }
        let folder = open(directory, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            Glibc.close(folder)
        }
        return (before, try BackupFiles.size(directory + "/data.mdb"))
    }
}

extension BackupFiles {
    /// The size of the file at `path`.
    static func size(_ path: String) throws(EventStoreError) -> UInt64 {
        var status = stat()
        guard stat(path, &status) == 0 else { throw .dataFolderUnusable(path: path, reason: String(cString: strerror(errno))) }
        return UInt64(status.st_size)
    }
}
