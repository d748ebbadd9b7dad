import EventModel
import Glibc
import LMDB

extension EventStore {
    /// Writes a consistent backup of the whole store into `directory` (created; it must hold
    /// nothing) while the store keeps serving: a compacted copy of the LMDB environment taken
    /// from one read transaction (`data.mdb`), then its ``BackupManifest`` (`manifest.json`,
    /// written last: a folder without one is not a backup). Runs the copy on a thread of its
    /// own, off the caller's.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `to`) for a folder
    ///   that cannot be made or holds files; ``EventStoreError/storageFailure(_:)`` if the
    ///   copy fails (what was written is removed).
    public func backup(to directory: String) async throws(EventStoreError) -> BackupManifest {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<BackupManifest, EventStoreError>, Never>) in
            let thread = BlockingThread { continuation.resume(returning: self.backupNow(to: directory)) }
            thread.start()
        }
        return try result.get()
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
        do throws(EventStoreError) {
            let position = try BackupFiles.lastPosition(ofCopyIn: directory)
            let (bytes, crc) = try BackupFiles.sizeAndChecksum(directory + "/data.mdb")
            let manifest = BackupManifest(position: position, createdMilliseconds: created, bytes: bytes, crc32c: crc)
            try BackupFiles.write(manifest.json, to: directory + "/" + BackupManifest.fileName)
            return .success(manifest)
        } catch {
            BackupFiles.remove(directory + "/data.mdb")
            return .failure(error)
        }
    }

    /// Restores the backup in `backup` into the data folder `data` (created; it must hold no
    /// store): checks the copy against its manifest, then writes it as the folder's `data.mdb`
    /// (synced). Open the folder as a store afterwards (and `evtool verify` it).
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for a folder that is not a
    ///   backup, a copy that does not match its manifest (nothing is written then) or a data
    ///   folder that holds a store.
    public static func restore(from backup: String, into data: String) throws(EventStoreError) -> BackupManifest {
        let manifest = try BackupManifest(parsing: try BackupFiles.read(backup + "/" + BackupManifest.fileName))
        let (bytes, crc) = try BackupFiles.sizeAndChecksum(backup + "/data.mdb")
        guard bytes == manifest.bytes, crc == manifest.crc32c else {
            throw .invalidRequest(field: "from", reason: "\(backup)/data.mdb does not match its manifest (size or CRC-32C): the backup is damaged")
        }
        if mkdir(data, 0o755) != 0, errno != EEXIST { throw .dataFolderUnusable(path: data, reason: String(cString: strerror(errno))) }
        guard access(data + "/data.mdb", F_OK) != 0 else {
            throw .invalidRequest(field: "data", reason: "\(data) holds a store already: restore into a new or empty folder")
        }
        try BackupFiles.copy(backup + "/data.mdb", to: data + "/data.mdb", expecting: manifest)
        return manifest
    }
}

/// A thread that runs one blocking piece of work (an LMDB copy) off the cooperative pool.
private final class BlockingThread {
    private let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }

    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { pointer in
            let me = Unmanaged<BlockingThread>.fromOpaque(pointer!).takeRetainedValue()
            me.work()
            return nil
        }, box)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<BlockingThread>.fromOpaque(box).release()
            work()
        }
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

    /// The size and CRC-32C of the file at `path`, read in pieces.
    static func sizeAndChecksum(_ path: String) throws(EventStoreError) -> (UInt64, UInt32) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .invalidRequest(field: "from", reason: "\(path) cannot be read: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var crc: UInt32 = 0
        var total: UInt64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw .invalidRequest(field: "from", reason: "\(path) cannot be read: \(String(cString: strerror(errno)))") }
            if count == 0 { return (total, crc) }
            crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<count]), continuing: crc) }
            total += UInt64(count)
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

    /// Copies `source` to a new file `target`, synced, checking its size and CRC-32C against
    /// `manifest` as it goes (the target is removed if they differ).
    static func copy(_ source: String, to target: String, expecting manifest: BackupManifest) throws(EventStoreError) {
        let input = open(source, O_RDONLY)
        guard input >= 0 else { throw .invalidRequest(field: "from", reason: "\(source) cannot be read") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard output >= 0 else { throw .dataFolderUnusable(path: target, reason: String(cString: strerror(errno))) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var crc: UInt32 = 0
        var total: UInt64 = 0
        var failure: EventStoreError?
        while failure == nil {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                failure = .invalidRequest(field: "from", reason: "\(source) cannot be read")
                break
            }
            crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<count]), continuing: crc) }
            total += UInt64(count)
            if buffer.withUnsafeBytes({ Glibc.write(output, $0.baseAddress, count) }) != count {
                failure = .dataFolderUnusable(path: target, reason: String(cString: strerror(errno)))
            }
        }
        if failure == nil, total != manifest.bytes || crc != manifest.crc32c {
            failure = .invalidRequest(field: "from", reason: "\(source) changed while it was restored: it no longer matches its manifest")
        }
        if failure == nil, fsync(output) != 0 { failure = .dataFolderUnusable(path: target, reason: String(cString: strerror(errno))) }
        close(output)
        if let failure {
            unlink(target)
            throw failure
        }
    }
}
