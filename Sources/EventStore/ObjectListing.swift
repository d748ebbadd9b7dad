import EventModel
import LMDB

/// One object as listed: its id, its head on main, how many branches it has and when it last
/// committed an event.
public struct ListedObject: Sendable, Equatable {
    /// The object's id within its type.
    public let id: String
    /// The head (last seq) of its `main` branch.
    public let version: Seq
    /// Its branches, `main` included (deleted ones are not).
    public let branches: Int
    /// The commit time of its newest event on any branch, ms since the epoch (when no branch has
    /// an event of its own, the time its `main` was made).
    public let lastCommitMilliseconds: Int64

    /// An object as listed.
    public init(id: String, version: Seq, branches: Int, lastCommitMilliseconds: Int64) {
        self.id = id
        self.version = version
        self.branches = branches
        self.lastCommitMilliseconds = lastCommitMilliseconds
    }
}

/// A page of the objects of one type, in id order (byte order of the ids).
public struct ObjectListing: Sendable, Equatable {
    /// The object type listed.
    public let type: ObjectType
    /// At most the limit asked for.
    public let objects: [ListedObject]
    /// The id to list on `after` (the last one listed) when more may follow; nil on the last page.
    public let next: String?

    /// `{"type", "objects": [{"id", "version", "branches", "lastCommitTime"}], "next"}`, times
    /// in ms since the epoch like an event's `time`: over HTTP and from `evtool ls --json` alike.
    public func json() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + objects.count * 96)
        writer.ascii("{\"type\":")
        writer.string(type.name)
        writer.ascii(",\"objects\":[")
        for (index, object) in objects.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"id\":")
            writer.string(object.id)
            writer.ascii(",\"version\":")
            writer.integer(Int64(object.version))
            writer.ascii(",\"branches\":")
            writer.integer(object.branches)
            writer.ascii(",\"lastCommitTime\":")
            writer.integer(object.lastCommitMilliseconds)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.ascii("],\"next\":")
        if let next { writer.string(next) } else { writer.ascii("null") }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}

/// An object type and how many objects of it exist.
public struct ObjectTypeCount: Sendable, Equatable {
    /// The type's name.
    public let type: String
    /// Its objects (those with a `main` branch: every object, until deleted).
    public let objects: UInt64

    /// A type and its count.
    public init(type: String, objects: UInt64) {
        self.type = type
        self.objects = objects
    }

    /// The counts as `{"types": [{"type", "objects"}]}`, over HTTP and from `evtool ls --json`.
    public static func json(_ counts: [ObjectTypeCount]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + counts.count * 48)
        writer.ascii("{\"types\":[")
        for (index, count) in counts.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"type\":")
            writer.string(count.type)
            writer.ascii(",\"objects\":")
            writer.integer(Int64(count.objects))
            writer.byte(UInt8(ascii: "}"))
        }
        writer.ascii("]}")
        return writer.bytes
    }
}

extension EventStore {
    /// The most objects one listing returns.
    public static let listingLimitMax = 1_000

    /// The objects of `type` of `tenant` whose ids start with `prefix`, after the id `after`, in id order,
    /// at most `limit` (1 to ``listingLimitMax``). Read from the `stream-names` index the writer
    /// keeps in the append's own transaction (never a scan of the log): each object costs the
    /// lookups of its branches' last events, so a page costs the same in a type of ten objects
    /// or of millions.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` for a limit out of range;
    ///   ``EventStoreError/corruptRecord(position:reason:)`` for a damaged index entry.
    public func listObjects(
        of type: ObjectType, tenant: Tenant = .default, prefix: String = "", after: String? = nil, limit: Int
    ) throws(EventStoreError) -> ObjectListing {
        guard (1...Self.listingLimitMax).contains(limit) else {
            throw .invalidRequest(field: "limit", reason: "must be 1 to \(Self.listingLimitMax), got \(limit)")
        }
        let typePrefix = tenant.storagePrefix + Array("\(type.name)/".utf8)
        let wanted = typePrefix + Array(prefix.utf8)
        var start = wanted
        if let after {
            // Every key of the object `after` is `type/after` 0 branch: 1 sorts after them all
            // and before any longer id (ids never hold bytes under '-').
            let past = typePrefix + Array(after.utf8) + [1]
            if past.lexicographicallyPrecedes(start) == false { start = past }
        }
        return try read { transaction in
            var objects: [ListedObject] = []
            var next: String?
            // The object being gathered: its id bytes, branch streams and main's stream.
            var current: (id: ArraySlice<UInt8>, streams: [UInt64], main: UInt64?)?
            func finish(_ object: (id: ArraySlice<UInt8>, streams: [UInt64], main: UInt64?)) throws {
                objects.append(try listed(String(decoding: object.id, as: UTF8.self), streams: object.streams, main: object.main, in: transaction))
            }
            try transaction.withCursor(layout.streamNames) { cursor in
                var entry = try start.withUnsafeBytes { try cursor.seek(atLeast: $0) }
                while let found = entry, found.key.starts(with: wanted) {
                    let key = found.key
                    guard found.value.count == 8, let zero = key[typePrefix.count...].firstIndex(of: 0) else {
                        throw EventStoreError.corruptRecord(position: 0, reason: "a stream name entry is malformed")
                    }
                    let id = Array(key[typePrefix.count..<zero])[...]
                    let number = UInt64(littleEndian: found.value.loadUnaligned(as: UInt64.self))
                    let isMain = key[(zero + 1)...].elementsEqual(BranchName.main.name.utf8)
                    if current?.id.elementsEqual(id) != true {
                        if let object = current {
                            try finish(object)
                            if objects.count == limit {
                                next = objects.last?.id
                                return
                            }
                        }
                        current = (id, [], nil)
                    }
                    current?.streams.append(number)
                    if isMain { current?.main = number }
                    entry = try cursor.next()
                }
                if let object = current { try finish(object) }
            }
            return ObjectListing(type: type, objects: objects, next: next)
        }
    }

    /// One object's listing from its branches' streams.
    private func listed(_ id: String, streams: [UInt64], main: UInt64?, in transaction: ReadTransaction) throws -> ListedObject {
        var last: Int64?
        for stream in streams {
            guard let run = try layout.lastRun(of: stream, in: transaction) else { continue }
            let time = try StoreKeys.withKey(run.lastPosition) { key in
                try transaction.get(layout.log, key: key).flatMap(EventRecord.commitTime)
            }
            guard let time else { throw EventStoreError.corruptRecord(position: run.lastPosition, reason: "indexed event missing from the log") }
            last = max(last ?? time, time)
        }
        let version = try main.map { try layout.head(of: $0, in: transaction) } ?? 0
        if last == nil, let main, let record = try StoreKeys.withKey(main, { try transaction.get(layout.streams, key: $0) }),
            record.count >= StreamRecord.headerBytes
        {
            last = StreamRecord.header(record).createdMilliseconds
        }
        return ListedObject(id: id, version: version, branches: streams.count, lastCommitMilliseconds: last ?? 0)
    }

    /// Every object type that has objects of `tenant`, with their counts, in name order: read
    /// from the counts the writer keeps as objects are made and deleted.
    public func objectTypeCounts(tenant: Tenant = .default) throws(EventStoreError) -> [ObjectTypeCount] {
        try read { transaction in try layout.objectCounts(of: tenant, in: transaction) }
    }
}

extension StoreLayout {
    /// The `objects` counts of `tenant`: its storage prefix and a type name → objects of it
    /// (8 bytes, little-endian), types with none left out.
    func objectCounts(of tenant: Tenant, in transaction: some ReadableTransaction) throws -> [ObjectTypeCount] {
        var counts: [ObjectTypeCount] = []
        try transaction.withCursor(objects) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let (owner, type) = Tenant.split(current.key)
                if current.value.count == 8, tenant.owns(owner) {
                    let count = UInt64(littleEndian: current.value.loadUnaligned(as: UInt64.self))
                    if count > 0 { counts.append(ObjectTypeCount(type: String(decoding: type, as: UTF8.self), objects: count)) }
                }
                entry = try cursor.next()
            }
        }
        return counts
    }

    /// Counts an object made (`delta` 1) or deleted (-1) when `storageKey` (`[tenant|]type/id`
    /// 0 branch) names a `main` branch (counted under `[tenant|]type`): an object is its `main`, made with it and deleted with it.
    func countObject(_ storageKey: [UInt8], by delta: Int64, in transaction: WriteTransaction) throws {
        guard let slash = storageKey.firstIndex(of: UInt8(ascii: "/")), let zero = storageKey.firstIndex(of: 0),
            storageKey[(zero + 1)...].elementsEqual(BranchName.main.name.utf8)
        else { return }
        let type = storageKey[..<slash]
        try type.withUnsafeBytes { key in
            let stored = try transaction.get(objects, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } ?? 0
            var count = UInt64(max(0, Int64(stored) + delta)).littleEndian
            try withUnsafeBytes(of: &count) { try transaction.put(objects, key: key, value: $0) }
        }
    }
}

extension StoreLayout {
    /// The `meta` key of a tenant's appended bytes: `tenant-bytes`, a zero byte, the tenant's name.
    static func tenantBytesKey(_ tenant: Tenant) -> [UInt8] { Array("tenant-bytes".utf8) + [0] + Array(tenant.name.utf8) }
}

extension EventStore {
    /// The bytes of event records `tenant` has appended (compressed, as stored, with their
    /// headers), counted by the writer in each batch's transaction since the store counted them
    /// (events appended by a build from before are not in it). Deleting a branch does not lower
    /// it: the log keeps every event.
    public func appendedBytes(of tenant: Tenant) throws(EventStoreError) -> UInt64 {
        try read { transaction in
            try StoreLayout.tenantBytesKey(tenant).withUnsafeBytes { try transaction.get(layout.meta, key: $0) }
                .map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } ?? 0
        }
    }
}
