import EventModel
import LMDB

/// What merges remember, so that no event is ever brought into a line of history twice: the
/// identity of every copy, where each line holds a copy, and how far each merge went.
///
/// **Identity.** An event appended by a client or a decider is an *original*; its id is its
/// *root*. A merge brings an event into a target as a *copy* with a new id, and the copy's
/// root is the root of what it was copied from (never the intermediate copy), so every copy of
/// every copy of an event shares that event's root.
///
/// **Held.** A line (a branch read through its lineage, up to its head) holds a root when it
/// reads the original (through any ancestor, up to the fork seqs) or any copy of it (its own,
/// or inherited from an ancestor up to the fork seq). A merge brings only the events whose root
/// the target does not hold.
///
/// Keys of the `merges` database:
/// | key | value |
/// |---|---|
/// | 1 + copy id (16) | root id (16) |
/// | 2 + root id (16) + stream (8, BE) | seq (8, LE) of the stream's own copy of the root |
/// | 3 + target (8, BE) + source (8, BE) | ``MergeRecord`` (17 bytes) |
///
/// Every lookup is a point read, so a merge costs O(events merged × fork depth), never
/// O(history).
struct MergeLedger {
    let layout: StoreLayout
    /// The tenant of the object merged: whose `ids` the originals are found in.
    var tenant: Tenant = .default

    private static let originTag: UInt8 = 1
    private static let heldTag: UInt8 = 2
    private static let recordTag: UInt8 = 3

    /// The root of `id`: the original it is a copy of, or `id` itself for an original.
    func root(of id: EventID, in transaction: some ReadableTransaction) throws -> EventID {
        try Self.withKey(Self.originTag, id: id) { key in
            guard let value = try transaction.get(layout.merges, key: key), value.count == 16 else { return id }
            return EventID(high: StoreKeys.integer(value), low: StoreKeys.integer(value, at: 8))
        }
    }

    /// Whether the line `lineage` (up to `head`) holds `root`: reads its original or a copy of it.
    func holds(_ root: EventID, lineage: Lineage, head: Seq, in transaction: some ReadableTransaction) throws -> Bool {
        if let place = try originalPlace(of: root, in: transaction), lineage.reads(stream: place.stream, seq: place.seq, head: head) {
            return true
        }
        for segment in lineage.segments {
            let seq = try Self.withKey(Self.heldTag, id: root, stream: segment.stream) { key in
                try transaction.get(layout.merges, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            }
            if let seq, lineage.reads(stream: segment.stream, seq: seq, head: head) { return true }
        }
        return false
    }

    /// Remembers that `copy`, appended to `stream` at `seq`, is a copy of `root`.
    func recordCopy(of root: EventID, as copy: EventID, stream: UInt64, seq: Seq, in transaction: WriteTransaction) throws {
        var rootValue = (root.high.bigEndian, root.low.bigEndian)
        try Self.withKey(Self.originTag, id: copy) { key in
            try withUnsafeBytes(of: &rootValue) { try transaction.put(layout.merges, key: key, value: $0) }
        }
        var seqValue = seq.littleEndian
        try Self.withKey(Self.heldTag, id: root, stream: stream) { key in
            try withUnsafeBytes(of: &seqValue) { try transaction.put(layout.merges, key: key, value: $0) }
        }
    }

    /// Forgets that the event `id` of `stream` is a copy (its object is being deleted, and its
    /// id may come back with an import).
    func forgetCopy(_ id: EventID, stream: UInt64, in transaction: WriteTransaction) throws {
        let root = try root(of: id, in: transaction)
        guard root != id else { return }
        _ = try Self.withKey(Self.originTag, id: id) { try transaction.delete(layout.merges, key: $0) }
        _ = try Self.withKey(Self.heldTag, id: root, stream: stream) { try transaction.delete(layout.merges, key: $0) }
    }

    /// What the last merge of `source` into `target` recorded, if there was one.
    func record(source: UInt64, target: UInt64, in transaction: some ReadableTransaction) throws -> MergeRecord? {
        try Self.withRecordKey(source: source, target: target) { key in
            try transaction.get(layout.merges, key: key).flatMap(MergeRecord.init(stored:))
        }
    }

    /// Stores `record` as the last merge of `source` into `target`.
    func put(_ record: MergeRecord, source: UInt64, target: UInt64, in transaction: WriteTransaction) throws {
        try Self.withRecordKey(source: source, target: target) { key in
            try record.withStored { try transaction.put(layout.merges, key: key, value: $0) }
        }
    }

    /// Where the original event `root` was appended (stream and seq), if it is still stored.
    private func originalPlace(of root: EventID, in transaction: some ReadableTransaction) throws -> (stream: UInt64, seq: Seq)? {
        guard let position = try StoreKeys.withIDKey(root, tenant: tenant, { key in
            try transaction.get(layout.ids, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }) else { return nil }
        return try StoreKeys.withKey(position) { key in try transaction.get(layout.log, key: key).flatMap(EventRecord.streamAndSeq) }
    }

    private static func withKey<R>(_ tag: UInt8, id: EventID, stream: UInt64? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key: [UInt8] = [tag]
        key.reserveCapacity(25)
        withUnsafeBytes(of: (id.high.bigEndian, id.low.bigEndian)) { key.append(contentsOf: $0) }
        if let stream { withUnsafeBytes(of: stream.bigEndian) { key.append(contentsOf: $0) } }
        return try key.withUnsafeBytes(body)
    }

    private static func withRecordKey<R>(source: UInt64, target: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key: [UInt8] = [recordTag]
        key.reserveCapacity(17)
        withUnsafeBytes(of: target.bigEndian) { key.append(contentsOf: $0) }
        withUnsafeBytes(of: source.bigEndian) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }
}

/// What a merge of one branch into another left behind: every event of the source up to
/// `sourceSeq` is held by the target, whose head the merge left at `targetHead`. Lines only
/// grow, so the record stays true for ever.
struct MergeRecord: Equatable {
    /// The source's head when it was merged.
    let sourceSeq: Seq
    /// The target's head right after the merge.
    let targetHead: Seq
    /// The target's line up to `targetHead` holds exactly the roots of the source's line up to
    /// `sourceSeq`, in the same order (a fast-forward): their states are the same.
    let isEquivalent: Bool

    init(sourceSeq: Seq, targetHead: Seq, isEquivalent: Bool) {
        self.sourceSeq = sourceSeq
        self.targetHead = targetHead
        self.isEquivalent = isEquivalent
    }

    init?(stored value: UnsafeRawBufferPointer) {
        guard value.count == 17 else { return nil }
        sourceSeq = UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
        targetHead = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        isEquivalent = value[16] == 1
    }

    func withStored<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var bytes = [UInt8](repeating: 0, count: 17)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: sourceSeq.littleEndian, as: UInt64.self)
            $0.storeBytes(of: targetHead.littleEndian, toByteOffset: 8, as: UInt64.self)
            $0[16] = isEquivalent ? 1 : 0
        }
        return try bytes.withUnsafeBytes(body)
    }
}
