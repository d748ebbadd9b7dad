import EventModel
import LMDB

/// Upgrades a store written by an earlier build to ``StoreLayout/formatVersion``, in one write
/// transaction (all or nothing), when it is opened.
///
/// Format 3 → 4: objects are counted per type (`objects`), from `stream-names`: one object per
/// `main` branch.
///
/// Format 2 → 3: per-object views are no longer stored whole with every append (they are
/// checkpointed: snapshots, and the rows of keyed views in `rows`); the states format 2 kept
/// in `views` (every stream but 0, the cross-object views') are deleted. Snapshots stay: those
/// of views whose version did not change are still used.
///
/// Format 1 → 2: format 1 kept in `meta` the immediate original of each copy (`origin` + copy
/// id), which copies went into which stream (`copied` + stream + original id) and merge records
/// without the fast-forward flag (`merge` + target + source). Format 2 keeps them in `merges`
/// (``MergeLedger``): each copy's root (following chains of copies of copies), where each
/// stream holds a copy of a root, and records marked not equivalent (a later merge then replays
/// and checks, which is always safe).
enum StoreMigration {
    /// Brings the store from `version` to the current format.
    static func upgrade(from version: UInt64, layout: StoreLayout, transaction: WriteTransaction) throws {
        precondition((1...5).contains(version), "only formats 1 to 5 are upgraded")
        if version == 1 { try upgradeMerges(layout: layout, transaction: transaction) }
        if version <= 2 { try dropStoredViews(layout: layout, transaction: transaction) }
        if version <= 3 { try countObjects(layout: layout, transaction: transaction) }
        // 4 to 5: the `keys` database, made empty on open; 5 to 6: `horizons`, the same.
    }

    private static func countObjects(layout: StoreLayout, transaction: WriteTransaction) throws {
        var counts: [[UInt8]: UInt64] = [:]
        try transaction.withCursor(layout.streamNames) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                if let slash = current.key.firstIndex(of: UInt8(ascii: "/")), let zero = current.key.firstIndex(of: 0),
                    current.key[(zero + 1)...].elementsEqual(BranchName.main.name.utf8)
                {
                    counts[Array(current.key[..<slash]), default: 0] += 1
                }
                entry = try cursor.next()
            }
        }
        for (type, count) in counts {
            var value = count.littleEndian
            try type.withUnsafeBytes { key in try withUnsafeBytes(of: &value) { try transaction.put(layout.objects, key: key, value: $0) } }
        }
    }

    private static func dropStoredViews(layout: StoreLayout, transaction: WriteTransaction) throws {
        var keys: [[UInt8]] = []
        try transaction.withCursor(layout.views) { cursor in
            var entry = try StoreKeys.withKey(1) { try cursor.seek(atLeast: $0) }
            while let current = entry {
                keys.append(Array(current.key))
                entry = try cursor.next()
            }
        }
        for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.views, key: $0) } }
    }

    private static func upgradeMerges(layout: StoreLayout, transaction: WriteTransaction) throws {
        let ledger = MergeLedger(layout: layout)
        var origins: [EventID: EventID] = [:]
        var records: [(target: UInt64, source: UInt64, sourceSeq: Seq, targetHead: Seq)] = []
        var obsolete: [[UInt8]] = []
        try transaction.withCursor(layout.meta) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let key = current.key
                if key.count == 6 + 16, key.starts(with: "origin".utf8), current.value.count == 16 {
                    let copy = EventID(high: StoreKeys.integer(key, at: 6), low: StoreKeys.integer(key, at: 14))
                    origins[copy] = EventID(high: StoreKeys.integer(current.value), low: StoreKeys.integer(current.value, at: 8))
                    obsolete.append(Array(key))
                } else if key.count == 5 + 16, key.starts(with: "merge".utf8), current.value.count == 16 {
                    records.append(
                        (
                            StoreKeys.integer(key, at: 5), StoreKeys.integer(key, at: 13),
                            UInt64(littleEndian: current.value.loadUnaligned(as: UInt64.self)),
                            UInt64(littleEndian: current.value.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                        ))
                    obsolete.append(Array(key))
                } else if key.count == 6 + 8 + 16, key.starts(with: "copied".utf8) {
                    obsolete.append(Array(key))
                }
                entry = try cursor.next()
            }
        }
        for (copy, _) in origins.sorted(by: { $0.key < $1.key }) {
            var root = copy
            var steps = 0
            while let original = origins[root], steps < origins.count {
                root = original
                steps += 1
            }
            guard let position = try StoreKeys.withKey(copy.high, copy.low, { key in
                try transaction.get(layout.ids, key: key).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            }), let place = try StoreKeys.withKey(position, { try transaction.get(layout.log, key: $0).flatMap(EventRecord.streamAndSeq) })
            else { continue }
            try ledger.recordCopy(of: root, as: copy, stream: place.stream, seq: place.seq, in: transaction)
        }
        for record in records {
            try ledger.put(
                MergeRecord(sourceSeq: record.sourceSeq, targetHead: record.targetHead, isEquivalent: false), source: record.source,
                target: record.target, in: transaction)
        }
        for key in obsolete { _ = try key.withUnsafeBytes { try transaction.delete(layout.meta, key: $0) } }
    }
}
