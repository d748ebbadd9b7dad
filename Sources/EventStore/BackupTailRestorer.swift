import EventModel
import Glibc
import LMDB

/// Where a point-in-time restore stops.
public enum RestorePoint: Sendable, Equatable {
    /// After the event at this log position, which must end a commit (the one after it, if any,
    /// was committed later), so no commit is restored in part.
    case position(Position)
    /// After the last event committed at or before this time (ms since the epoch): whole
    /// commits, as each commit's events share its time.
    case time(Int64)
}

/// What a restore of incremental backups did (``BackupTailRestorer/finish()``).
public struct BackupTailRestore: Sendable, Equatable {
    /// The last log position restored.
    public let position: Position
    /// Events appended from the tails.
    public let events: UInt64
    /// Tails applied (a tail wholly after the point is not).
    public let tails: Int
    /// Branches the tails hold events of that were deleted later in the store they came from:
    /// the log does not say when, so they are restored live (delete them again if the point is
    /// past their deletion).
    public let deletedKeptLive: [StreamName]
    /// Each reaction's position, moved past the triggers whose commands the tails hold.
    public let reactions: [String: Position]
}

/// Restores incremental backups (``BackupTailManifest``) onto a store just restored from the
/// full backup they continue, in order, up to a ``RestorePoint``: every event appended again
/// with its id, data, metadata and commit time, at the position it had (checked: a restore that
/// would give an event another position stops), branches forked as they were, a stream that
/// was deleted and made again deleted where its next incarnation starts. Views, snapshots,
/// listings, timers and cross-object views follow from the appends as they always do; each
/// reaction is moved past the events whose commands the tails hold (found by the `reaction`
/// and `causedBy` metadata of the events they caused, and the `CommandRefused` facts), so
/// running it again sends only what had not been sent by the point. An object the tails show
/// erased (its events read as `ObjectErased`) is erased again at the end, whatever the point:
/// an erasure is never undone by a restore. Not kept by a tail:
/// idempotency keys of appends after the full backup, and consumers' acknowledgements after it.
public struct BackupTailRestorer {
    private let store: EventStore
    private let point: RestorePoint?
    private var link: BackupFolder
    private let startStreamMax: UInt64
    private var streams: [UInt64: TailStream] = [:]
    private var holders: [StreamName: UInt64] = [:]
    private var pending: PendingRun?
    private var triggerPositions: [String: Position] = [:]
    private var triggerIDs: [String: [(Tenant, EventID)]] = [:]
    private var applied = 0
    private var appended: UInt64 = 0
    private var lastPosition: Position
    private var lastTime: Int64 = .min
    private var runStart: Position = 0
    private var reachedPoint = false
    /// Objects whose erasure the tails show (their events read as `ObjectErased`): erased
    /// again once the tails are applied.
    private var erased = Set<ObjectKey>()
    /// The data keys the tails carry, by object storage name: their sealed lines open with them.
    private var tailKeys: [[UInt8]: [UInt8]] = [:]

    /// A restorer onto `store`, just restored from the backup `full` (its folder's manifest),
    /// stopping at `point` (nil: the end of the last tail).
    public init(store: EventStore, restoredFrom full: BackupFolder, through point: RestorePoint?) throws(EventStoreError) {
        self.store = store
        self.point = point
        link = full
        lastPosition = full.position
        startStreamMax = try store.read { transaction in try transaction.withCursor(store.layout.streams) { try $0.last().map { StoreKeys.integer($0.key) } ?? 0 } }
        if case .position(let position) = point, position < full.position {
            throw .invalidRequest(field: "to-position", reason: "\(position) is before the full backup's position (\(full.position)): restore an older backup")
        }
    }

    /// Applies the tail in `directory`, which must continue the backup applied before it.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `tail`) for a folder
    ///   that is not a tail, continues another backup, or is damaged; (field `to-position`) for
    ///   a point inside a commit, naming the commit boundaries around it; what appending throws.
    public mutating func apply(_ directory: String) async throws(EventStoreError) {
        guard case .tail(let manifest) = try BackupFolder(at: directory, field: "tail") else {
            throw .invalidRequest(field: "tail", reason: "\(directory) is a full backup, not an incremental one: give it as --from")
        }
        guard manifest.basePosition == link.position, manifest.baseCRC32C == link.crc32c else {
            throw .invalidRequest(
                field: "tail",
                reason: "\(directory) continues the backup ending at position \(manifest.basePosition) (CRC-32C \(BackupTailManifest.hex(manifest.baseCRC32C))), not the one before it (ending at \(link.position), CRC-32C \(BackupTailManifest.hex(link.crc32c))): give the tails in the order they were taken")
        }
        link = .tail(manifest)
        guard !reachedPoint else { return }
        let plain = store.configuration.directory + "/restore-tail.jsonl"
        try BackupFiles.decompress(
            directory + "/" + BackupTailManifest.tailName, to: plain, bytes: manifest.bytes, crc32c: manifest.crc32c, compressedBytes: manifest.compressedBytes)
        defer { BackupFiles.remove(plain) }
        var lines = try TailLines(path: plain)
        var lineNumber = 0
        while let line = try lines.next() {
            lineNumber += 1
            guard !line.isEmpty else { continue }
            if try await take(line, lineNumber: lineNumber, directory: directory, lines: &lines) { break }
        }
        try await flush()
        applied += 1
    }

    /// Ends the restore: moves each reaction past the triggers the tails answered, and says
    /// what was restored.
    public mutating func finish() async throws(EventStoreError) -> BackupTailRestore {
        try await flush()
        for object in erased.sorted(by: { $0.description < $1.description }) {
            do throws(EventStoreError) { _ = try await store.submit { .erase(object, tombstone: false, $0) } } catch .objectErased, .sealingOff {}
        }
        var positions: [String: Position] = [:]
        for reaction in store.reactions {
            let stored = try store.reactionPosition(reaction.name)
            var through = triggerPositions[reaction.name] ?? 0
            let ids = triggerIDs[reaction.name] ?? []
            if !ids.isEmpty {
                let found = try store.read { transaction in
                    try ids.compactMap { tenant, id in
                        try StoreKeys.withIDKey(id, tenant: tenant) { key in
                            try transaction.get(store.layout.ids, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                        }
                    }.max() ?? 0
                }
                through = max(through, found)
            }
            through = min(through, lastPosition)
            if through > stored {
                _ = try await store.submit {
                    .react(ReactionStep(reaction: reaction.name, stored: stored, from: stored, through: through, effects: []), $0)
                }
            }
            positions[reaction.name] = max(stored, through)
        }
        let keptLive = streams.filter { number, stream in stream.deleted && holders[stream.name] == number }.map(\.value.name).sorted { $0.description < $1.description }
        return BackupTailRestore(position: lastPosition, events: appended, tails: applied, deletedKeptLive: keptLive, reactions: positions)
    }

    // MARK: - Lines

    /// Takes one line; returns true once the point is passed (the rest is not restored).
    private mutating func take(_ line: [UInt8], lineNumber: Int, directory: String, lines: inout TailLines) async throws(EventStoreError) -> Bool {
        func damaged(_ reason: String) -> EventStoreError { .invalidRequest(field: "tail", reason: "\(directory) line \(lineNumber): \(reason)") }
        var streamNumber: UInt64?
        var eventRange: Range<Int>?
        var sealedRange: Range<Int>?
        var otherRange: (key: String, range: Range<Int>)?
        do {
            try line.withUnsafeBytes { bytes in
                var scanner = JSONScanner(bytes)
                try scanner.readObject { key, value in
                    switch key {
                    case "stream": streamNumber = UInt64(exactly: try value.readInteger())
                    case "event": eventRange = try value.skipValue()
                    case "sealed": sealedRange = try value.skipValue()
                    case "key": otherRange = (key, try value.skipValue())
                    default: _ = try value.skipValue()
                    }
                }
            }
        } catch {
            throw damaged("not JSON: \(error)")
        }
        if let otherRange {
            let value: JSONValue
            do { value = try line.withUnsafeBytes { try JSONValue(parsing: UnsafeRawBufferPointer(rebasing: $0[otherRange.range])) } } catch {
                throw damaged("not JSON: \(error)")
            }
            try takeKey(value, damaged)
            return false
        }
        guard let streamNumber else { throw damaged("names no stream") }
        if let sealedRange {
            // A sealed event: opened with its object's key, then taken as the plain line.
            guard let stream = streams[streamNumber] else { throw damaged("an event of stream \(streamNumber), which no line before it describes") }
            let name = stream.name.object.storageName
            guard let key = tailKeys[name] else { throw damaged("a sealed event of \(stream.name.object), whose key no line before it gives") }
            let sealing = ArchiveSealing(key: key, name: name, tag: ArchiveSealing.tailTag)
            guard sealedRange.count > 2, let plain = sealing.openValue(line[(sealedRange.lowerBound + 1)..<(sealedRange.upperBound - 1)]) else {
                throw damaged("a sealed event does not open with its object's key (damaged)")
            }
            let opened = Array("{\"stream\":\(streamNumber),\"event\":".utf8) + plain + [UInt8(ascii: "}")]
            return try await take(opened, lineNumber: lineNumber, directory: directory, lines: &lines)
        }
        guard let eventRange else {
            try describe(streamNumber, line, damaged)
            return false
        }
        guard let stream = streams[streamNumber] else { throw damaged("an event of stream \(streamNumber), which no line before it describes") }
        let event: TailEvent
        do {
            event = try line.withUnsafeBytes { bytes in
                var scanner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[eventRange]))
                guard let event = try TailEvent.read(&scanner, offset: eventRange.lowerBound) else { throw damaged("an event lacks seq, position, id, type, data or time") }
                return event
            }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw damaged("an event is not JSON: \(error)")
        }
        guard event.position == lastPosition + 1 else {
            throw damaged("position \(event.position) does not follow \(lastPosition): the tail is not whole")
        }
        if try passesPoint(event, lines: &lines, directory: directory) {
            reachedPoint = true
            return true
        }
        if event.time != lastTime { runStart = event.position }
        lastTime = event.time
        lastPosition = event.position
        try await add(event, line: line, of: stream, streamNumber: streamNumber, damaged)
        noteReaction(event, line: line, of: stream)
        if event.type.elementsEqual(RecordDecoder.erasedType.utf8) { erased.insert(stream.name.object) }
        return false
    }

    /// Takes a key line: an object's data key as its store kept it, opened with the master key
    /// of the store restored into.
    private mutating func takeKey(_ value: JSONValue, _ damaged: (String) -> EventStoreError) throws(EventStoreError) {
        guard let object = value["object"]?.stringValue, let wrapped = value["wrapped"]?.stringValue else { throw damaged("a key line needs object and wrapped") }
        guard let master = store.layout.keyRing?.master else {
            throw damaged("the tail is sealed: restore it with the master key of the store it came from (--master-key-file)")
        }
        guard let key = ArchiveSealing.unwrap(wrapped, boundTo: Array(object.utf8), master: master) else {
            throw damaged("the key of \(object) does not open with this master key (the tail was sealed under another)")
        }
        tailKeys[Array(object.utf8)] = key
    }

    /// Whether `event` is past the point; for a point at a position inside a commit, throws
    /// naming the boundaries around it.
    private func passesPoint(_ event: TailEvent, lines: inout TailLines, directory: String) throws(EventStoreError) -> Bool {
        switch point {
        case nil:
            return false
        case .time(let time):
            return event.time > time
        case .position(let position):
            guard event.position > position else { return false }
            guard event.time == lastTime, lastPosition == position else { return true }
            // The point splits a commit: find where it ends.
            var end = event.position
            while let line = try lines.next() {
                guard let next = TailEvent.positionAndTime(line) else { continue }
                guard next.time == event.time else { break }
                end = next.position
            }
            throw .invalidRequest(
                field: "to-position",
                reason: "position \(position) is inside a commit (positions \(runStart)-\(end) were committed together): restore to \(runStart - 1) or \(end)")
        }
    }

    private mutating func describe(_ number: UInt64, _ line: [UInt8], _ damaged: (String) -> EventStoreError) throws(EventStoreError) {
        let value: JSONValue
        do { value = try line.withUnsafeBytes { try JSONValue(parsing: $0) } } catch { throw damaged("not JSON") }
        let tenant: Tenant
        do { tenant = try value["tenant"]?.stringValue.map { try Tenant($0) } ?? .default } catch { throw damaged("tenant is not a tenant's name") }
        guard let objectText = value["object"]?.stringValue, let object = try? ObjectKey(parsing: objectText, tenant: tenant),
            let branchText = value["branch"]?.stringValue, let branch = try? BranchName(branchText)
        else { throw damaged("a stream line needs object and branch") }
        var parent: (name: BranchName, forkSeq: Seq)?
        if let parentText = value["parent"]?.stringValue {
            guard let name = try? BranchName(parentText), let forkSeq = value["forkSeq"]?.integerValue, forkSeq >= 0 else {
                throw damaged("a branch's parent needs a name and forkSeq")
            }
            parent = (name, Seq(forkSeq))
        }
        streams[number] = TailStream(name: StreamName(object: object, branch: branch), deleted: value["deleted"] == .bool(true), parent: parent)
    }

    // MARK: - Appending

    /// Adds `event` to the run being gathered, sending the run before it when it cannot join.
    private mutating func add(
        _ event: TailEvent, line: [UInt8], of stream: TailStream, streamNumber: UInt64, _ damaged: (String) -> EventStoreError
    ) async throws(EventStoreError) {
        if let open = pending, open.streamNumber != streamNumber || open.batch.count >= 4_096 { try await flush() }
        if pending == nil { pending = PendingRun(streamNumber: streamNumber, batch: EventBatch(limits: .unbounded), times: [], firstSeq: event.seq, firstPosition: event.position) }
        guard event.seq == pending!.firstSeq + UInt64(pending!.batch.count) else { throw damaged("seq \(event.seq) of \(stream.name) is out of order") }
        var data = JSONWriter(capacity: event.data.count)
        var metadata = JSONWriter(capacity: event.metadata?.count ?? 0)
        line.withUnsafeBytes { bytes in
            data.compact(UnsafeRawBufferPointer(rebasing: bytes[event.data]))
            if let range = event.metadata { metadata.compact(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        }
        do {
            try data.bytes.withUnsafeBytes { data in
                try metadata.bytes.withUnsafeBytes { metadata in
                    try event.type.withUnsafeBytes { type in try pending!.batch.add(id: event.id, type: type, data: data, metadata: metadata) }
                }
            }
        } catch {
            throw damaged("\(error)")
        }
        pending!.times.append(event.time)
    }

    /// Appends the run gathered, at the positions it had.
    private mutating func flush() async throws(EventStoreError) {
        guard let run = pending else { return }
        pending = nil
        guard let stream = streams[run.streamNumber] else { return }
        try await prepare(stream, number: run.streamNumber, firstSeq: run.firstSeq)
        let outcome = try await store.append(
            AppendRequest(importing: stream.name, expectedVersion: .exactly(run.firstSeq - 1), events: run.batch, times: run.times), restoring: true)
        guard outcome.firstPosition == run.firstPosition else {
            throw .invalidRequest(
                field: "tail",
                reason: "the events of \(stream.name) from seq \(run.firstSeq) went to position \(outcome.firstPosition), not \(run.firstPosition): the store restored is not the one the tails continue")
        }
        appended += UInt64(run.batch.count)
    }

    /// Makes the stored stream for tail stream `number` ready for events from `firstSeq`: the
    /// same one as in the full backup, or a new one (forked as it was) after deleting an older
    /// incarnation of its name.
    private mutating func prepare(_ stream: TailStream, number: UInt64, firstSeq: Seq) async throws(EventStoreError) {
        if holders[stream.name] == number { return }
        let existing = try store.read { transaction in try store.layout.streamNumber(stream.name.storageKey, in: transaction) }
        if let existing {
            if existing <= startStreamMax, existing == number, holders[stream.name] == nil {
                holders[stream.name] = number
                return
            }
            // An older incarnation, deleted in the store the tails came from before this one began.
            if stream.name.branch == .main {
                try await store.submit { .deleteObject(stream.name.object, $0) }
                holders = holders.filter { $0.key.object != stream.name.object }
            } else {
                try await store.deleteBranch(stream.name.branch, of: stream.name.object)
                holders[stream.name] = nil
            }
        }
        if let parent = stream.parent {
            _ = try await store.createBranch(stream.name.branch, of: stream.name.object, from: parent.name, at: parent.forkSeq)
        }
        holders[stream.name] = number
    }

    /// Notes which reaction's trigger `event` answers: a `CommandRefused` fact names its
    /// trigger's position, an event a reaction caused names its trigger's id.
    private mutating func noteReaction(_ event: TailEvent, line: [UInt8], of stream: TailStream) {
        if stream.name.object.type.name == AnyReaction.objectType, event.type.elementsEqual(AnyReaction.refusedEventType.utf8) {
            let data = line.withUnsafeBytes { try? JSONValue(parsing: UnsafeRawBufferPointer(rebasing: $0[event.data])) }
            if let name = data?["reaction"]?.stringValue, let position = data?["position"]?.integerValue {
                triggerPositions[name] = max(triggerPositions[name] ?? 0, Position(position))
            }
            return
        }
        guard let range = event.metadata, range.count > 20 else { return }
        let metadata = line.withUnsafeBytes { try? JSONValue(parsing: UnsafeRawBufferPointer(rebasing: $0[range])) }
        if let name = metadata?["reaction"]?.stringValue, let cause = metadata?["causedBy"]?.stringValue.flatMap({ EventID(parsing: $0) }) {
            triggerIDs[name, default: []].append((stream.name.object.tenant, cause))
        }
    }
}

/// A stream a tail names: where its events go, and how it was forked.
private struct TailStream {
    let name: StreamName
    let deleted: Bool
    let parent: (name: BranchName, forkSeq: Seq)?
}

/// Consecutive events of one stream gathered into one append.
private struct PendingRun {
    let streamNumber: UInt64
    var batch: EventBatch
    var times: [Int64]
    let firstSeq: Seq
    let firstPosition: Position
}

/// One event line's `event`, its data and metadata as ranges of the line.
private struct TailEvent {
    let seq: Seq
    let position: Position
    let id: EventID
    let type: [UInt8]
    let data: Range<Int>
    let metadata: Range<Int>?
    let time: Int64

    static func read(_ scanner: inout JSONScanner, offset: Int) throws -> TailEvent? {
        guard let (seq, position, id, type, data, metadata, time) = try ArchiveImporter.readEvent(&scanner), seq >= 1, let position, position >= 1
        else { return nil }
        let shift = { (range: Range<Int>) in (range.lowerBound + offset)..<(range.upperBound + offset) }
        return TailEvent(seq: Seq(seq), position: Position(position), id: id, type: type, data: shift(data), metadata: metadata.map(shift), time: time)
    }

    /// The position and time of an event line; nil for a stream line.
    static func positionAndTime(_ line: [UInt8]) -> (position: Position, time: Int64)? {
        line.withUnsafeBytes { bytes in
            var found: (Position, Int64)?
            // A sealed event's line keeps them in the clear.
            var position: Int64?
            var time: Int64?
            var scanner = JSONScanner(bytes)
            try? scanner.readObject { key, value in
                switch key {
                case "event":
                    let range = try value.skipValue()
                    var inner = JSONScanner(UnsafeRawBufferPointer(rebasing: bytes[range]))
                    if let event = try TailEvent.read(&inner, offset: range.lowerBound) { found = (event.position, event.time) }
                case "position": position = try value.readInteger()
                case "time": time = try value.readInteger()
                default: _ = try value.skipValue()
                }
            }
            if found == nil, let position, let time, position >= 1 { found = (Position(position), time) }
            return found
        }
    }
}

/// The lines of a file, read in 1 MiB pieces.
private struct TailLines {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var offset = 0
    private var atEnd = false

    init(path: String) throws(EventStoreError) {
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .dataFolderUnusable(path: path, reason: String(cString: strerror(errno))) }
    }

    /// The next line without its newline; nil at the end (the file is closed then).
    mutating func next() throws(EventStoreError) -> [UInt8]? {
        while true {
            if let newline = buffer[offset...].firstIndex(of: UInt8(ascii: "\n")) {
                defer { offset = newline + 1 }
                return Array(buffer[offset..<newline])
            }
            if atEnd {
                guard offset < buffer.count else { return nil }
                defer { offset = buffer.count }
                return Array(buffer[offset...])
            }
            buffer.removeFirst(offset)
            offset = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw .dataFolderUnusable(path: "restore-tail.jsonl", reason: String(cString: strerror(errno))) }
            if count == 0 {
                atEnd = true
                Glibc.close(descriptor)
            } else {
                buffer += chunk[..<count]
            }
        }
    }
}
