import EventModel
import LMDB

/// What merges remember, in `meta`, so no event is brought into a branch twice:
/// `copied` + target stream (8, BE) + original id (16) for each event copied into a target, and
/// `origin` + copy id (16) → original id (16) for each copy.
enum MergeKeys {
    static func recordCopy(_ original: EventID, as copy: EventID, into target: UInt64, layout: StoreLayout, transaction: WriteTransaction) throws {
        try withCopiedKey(original, into: target) { key in try transaction.put(layout.meta, key: key, value: UnsafeRawBufferPointer(start: nil, count: 0)) }
        var value = (original.high.bigEndian, original.low.bigEndian)
        try withOriginKey(copy) { key in try withUnsafeBytes(of: &value) { try transaction.put(layout.meta, key: key, value: $0) } }
    }

    /// Whether `id` was copied into `target` by a merge.
    static func wasCopied(_ id: EventID, into target: UInt64, layout: StoreLayout, transaction: some ReadableTransaction) throws -> Bool {
        try withCopiedKey(id, into: target) { try transaction.get(layout.meta, key: $0) != nil }
    }

    /// Whether `id` is a merge's copy of an event the line `lineage` (at `head`) holds.
    static func isCopy(_ id: EventID, ofAnEventIn lineage: Lineage, head: Seq, layout: StoreLayout, transaction: some ReadableTransaction) throws -> Bool {
        guard let original = try withOriginKey(id, { key in
            try transaction.get(layout.meta, key: key).map { EventID(high: StoreKeys.integer($0), low: StoreKeys.integer($0, at: 8)) }
        }) else { return false }
        guard let position = try StoreKeys.withKey(original.high, original.low, { key in
            try transaction.get(layout.ids, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }), let record = try StoreKeys.withKey(position, { try transaction.get(layout.log, key: $0) }),
            let (stream, seq) = EventRecord.streamAndSeq(record)
        else { return false }
        return lineage.segments.contains { $0.stream == stream && seq >= $0.firstSeq && seq <= min($0.lastSeq, head) }
    }

    private static func withCopiedKey<R>(_ id: EventID, into target: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = Array("copied".utf8)
        withUnsafeBytes(of: target.bigEndian) { key.append(contentsOf: $0) }
        withUnsafeBytes(of: (id.high.bigEndian, id.low.bigEndian)) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }

    private static func withOriginKey<R>(_ copy: EventID, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = Array("origin".utf8)
        withUnsafeBytes(of: (copy.high.bigEndian, copy.low.bigEndian)) { key.append(contentsOf: $0) }
        return try key.withUnsafeBytes(body)
    }
}
