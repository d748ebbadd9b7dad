import EventModel
import Foundation
import Glibc
import LMDB

extension EventStore {
    /// Writes an incremental backup into `directory` (created; it must hold nothing): every
    /// event committed after the backup in `base` (a full backup or another tail) through the
    /// last one committed now, as a ``BackupTailManifest`` describes, while the store keeps
    /// serving. The log is append-only, so pages read one after another are one consistent
    /// stretch. Runs on a thread of its own.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `after`) for a base
    ///   that is no backup or ends past this store's log (another store's), (field `to`) for a
    ///   folder that cannot be made or holds files; what reading the log throws.
    public func backupTail(after base: String, to directory: String) async throws(EventStoreError) -> BackupTailManifest {
        try await BlockingThread.run { self.backupTailNow(after: base, to: directory) }.get()
    }

    private func backupTailNow(after base: String, to directory: String) -> Result<BackupTailManifest, EventStoreError> {
        do throws(EventStoreError) {
            let link = try BackupFolder(at: base, field: "after")
            let end = try read { transaction in try layout.lastPosition(in: transaction) }
            guard link.position <= end else {
                throw .invalidRequest(field: "after", reason: "\(base) ends at position \(link.position), past this store's last (\(end)): a backup of another store?")
            }
            if mkdir(directory, 0o755) != 0 {
                guard errno == EEXIST, BackupFiles.isEmptyDirectory(directory) else {
                    throw .invalidRequest(field: "to", reason: "\(directory) cannot be made, or holds files already (a backup goes to a new or empty folder)")
                }
            }
            let created = clock.nowMilliseconds()
            let plain = directory + "/tail.jsonl"
            defer { BackupFiles.remove(plain) }
            let events = try writeTail(after: link.position, through: end, to: plain, base: base)
            let kept = directory + "/" + BackupTailManifest.tailName
            do throws(EventStoreError) {
                let (bytes, crc, compressed) = try BackupFiles.compress(plain, to: kept)
                let manifest = BackupTailManifest(
                    basePosition: link.position, baseCRC32C: link.crc32c, position: end, createdMilliseconds: created, events: events, bytes: bytes,
                    crc32c: crc, compressedBytes: compressed)
                try BackupFiles.write(manifest.json, to: directory + "/" + BackupManifest.fileName)
                return .success(manifest)
            } catch {
                BackupFiles.remove(kept)
                throw error
            }
        } catch {
            return .failure(error)
        }
    }

    /// Writes the tail's lines for the positions after `after` through `end` into a new file at
    /// `path`, a page of the log per read transaction; returns how many events it holds.
    private func writeTail(after: Position, through end: Position, to path: String, base: String) throws(EventStoreError) -> UInt64 {
        let file = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard file >= 0 else { throw .invalidRequest(field: "to", reason: "\(path) cannot be written: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(file) }
        var writer = JSONWriter(capacity: 1 << 20)
        func flush() throws(EventStoreError) {
            let written = writer.bytes.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
            guard written == writer.bytes.count else { throw .invalidRequest(field: "to", reason: "\(path) cannot be written: \(String(cString: strerror(errno)))") }
            writer.bytes.removeAll(keepingCapacity: true)
        }
        var described = Set<UInt64>()
        // Each stream's object key, for a sealed object (nil: its lines are plain); each
        // object's key line is written before its first sealed event.
        var sealings: [UInt64: (name: [UInt8], sealing: ArchiveSealing?)] = [:]
        var keyed = Set<[UInt8]>()
        var written: UInt64 = 0
        var position = after
        let decoder = RecordDecoder(layout: layout)
        while position < end {
            try read { transaction in
                try transaction.withCursor(layout.log) { log in
                    var entry = try StoreKeys.withKey(position + 1) { try log.seek(atLeast: $0) }
                    var count = 0
                    while let current = entry, count < 4_096 {
                        let at = StoreKeys.integer(current.key)
                        guard at <= end else { break }
                        guard at == position + 1 else {
                            // Retention compacted events committed after the base: a tail cannot hold them.
                            throw EventStoreError.invalidRequest(
                                field: "after",
                                reason: "retention compacted events committed after \(base) (positions \(position + 1)-\(at - 1)), which a tail cannot hold: take a full backup (and take tails more often than the shortest retention period)")
                        }
                        let event = try decoder.decode(position: at, record: current.value, in: transaction)
                        if described.insert(event.stream).inserted { try describeStream(event.stream, into: &writer, in: transaction, position: at) }
                        if sealings[event.stream] == nil { sealings[event.stream] = try tailSealing(of: event.stream, in: transaction, position: at) }
                        if let object = sealings[event.stream], let sealing = object.sealing, !event.type.elementsEqual(RecordDecoder.erasedType.utf8) {
                            if keyed.insert(object.name).inserted, let ring = layout.keyRing, let wrapped = try ring.wrappedKey(ofObject: object.name, in: transaction) {
                                writer.ascii("{\"key\":{\"object\":")
                                object.name.withUnsafeBytes { writer.string(utf8: $0) }
                                writer.ascii(",\"wrapped\":")
                                writer.string(Data(wrapped).base64EncodedString())
                                writer.ascii("}}\n")
                            }
                            var plain = JSONWriter(capacity: 256 + event.data.count)
                            EventJSON.write(event, into: &plain)
                            writer.ascii("{\"stream\":")
                            writer.integer(event.stream)
                            // In the clear, as in the log: a point in time is found without the keys.
                            writer.ascii(",\"position\":")
                            writer.integer(event.position)
                            writer.ascii(",\"time\":")
                            writer.integer(event.timeMilliseconds)
                            writer.ascii(",\"sealed\":")
                            writer.string(try sealing.sealValue(plain.bytes))
                        } else {
                            writer.ascii("{\"stream\":")
                            writer.integer(event.stream)
                            writer.ascii(",\"event\":")
                            EventJSON.write(event, into: &writer)
                        }
                        writer.ascii("}\n")
                        written += 1
                        position = at
                        count += 1
                        entry = try log.next()
                    }
                    if entry == nil || count == 0 { position = end }
                }
            }
            try flush()
        }
        guard fsync(file) == 0 else { throw .invalidRequest(field: "to", reason: "\(path) cannot be synced: \(String(cString: strerror(errno)))") }
        return written
    }

    /// The name of stream `number`'s object in storage, and the sealing of its tail lines when
    /// the object is sealed and its key is kept.
    private func tailSealing(of number: UInt64, in transaction: ReadTransaction, position: Position) throws -> (name: [UInt8], sealing: ArchiveSealing?) {
        guard let record = try StoreKeys.withKey(number, { try transaction.get(layout.streams, key: $0) }), record.count > StreamRecord.headerBytes else {
            throw EventStoreError.corruptRecord(position: position, reason: "the event's stream \(number) is unknown")
        }
        let name = Array(StreamRecord.nameParts(record).object)
        guard let ring = layout.keyRing, case .key(let key)? = try ring.state(ofObject: name, in: transaction) else { return (name, nil) }
        return (name, ArchiveSealing(key: key, name: name, tag: ArchiveSealing.tailTag))
    }

    /// Writes the line naming stream `number`: its tenant, object and branch (without the
    /// `~deleted` of a deleted one, which `deleted` says), and for a branch its parent's name
    /// and fork seq, read from its stream record.
    private func describeStream(_ number: UInt64, into writer: inout JSONWriter, in transaction: ReadTransaction, position: Position) throws {
        guard let record = try StoreKeys.withKey(number, { try transaction.get(layout.streams, key: $0) }), record.count > StreamRecord.headerBytes else {
            throw EventStoreError.corruptRecord(position: position, reason: "the event's stream \(number) is unknown")
        }
        let header = StreamRecord.header(record)
        let name = StoredStreamName(storageName: StreamRecord.nameParts(record).object, branch: StreamRecord.nameParts(record).branch)
        var branch = String(decoding: name.branch, as: UTF8.self)
        let deleted = branch.hasSuffix(StreamName.deletedSuffix)
        if deleted { branch.removeLast(StreamName.deletedSuffix.count) }
        writer.ascii("{\"stream\":")
        writer.integer(number)
        if !name.tenant.isEmpty {
            writer.ascii(",\"tenant\":")
            writer.string(utf8: name.tenant)
        }
        writer.ascii(",\"object\":")
        writer.string(utf8: name.object)
        writer.ascii(",\"branch\":")
        writer.string(branch)
        if deleted { writer.ascii(",\"deleted\":true") }
        if header.parent != 0 {
            guard let parent = try StoreKeys.withKey(header.parent, { try transaction.get(layout.streams, key: $0) }), parent.count > StreamRecord.headerBytes
            else { throw EventStoreError.corruptRecord(position: position, reason: "the parent \(header.parent) of stream \(number) is unknown") }
            var parentBranch = String(decoding: StreamRecord.nameParts(parent).branch, as: UTF8.self)
            if parentBranch.hasSuffix(StreamName.deletedSuffix) { parentBranch.removeLast(StreamName.deletedSuffix.count) }
            writer.ascii(",\"parent\":")
            writer.string(parentBranch)
            writer.ascii(",\"forkSeq\":")
            writer.integer(header.forkSeq)
        }
        writer.ascii("}\n")
    }
}
