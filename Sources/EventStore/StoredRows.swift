import EventModel
import LMDB

/// The rows a keyed view has in storage for one line of history as of a checkpoint (`bound`):
/// for each key, its version with the largest seq at most the bound, looked for in the stream's
/// own rows first, then in each ancestor's (up to the seq the line forked at).
///
/// Versions are facts about the line's history ("after seq s the row was this"), so any
/// stream of the line that holds a version of a key at a seq holds the right one; the walk from
/// the newest stream finds the latest fact at or below the bound. Versions past the bound (a
/// checkpoint written in part before a crash, or after the bound) are never seen.
struct StoredRows: Sendable {
    /// One stream of the line: the prefix of its rows and the largest seq read from it.
    struct Segment: Sendable {
        let prefix: [UInt8]
        let bound: Seq
    }

    /// The line's streams, newest (the stream's own) first.
    let segments: [Segment]
    let database: Database
    /// Opens sealed rows with their object's key.
    let layout: StoreLayout

    /// The rows of `view` (at `version`) on `lineage` as of `bound`.
    init(layout: StoreLayout, lineage: Lineage, view: String, version: Int, bound: Seq) {
        database = layout.rows
        self.layout = layout
        segments = lineage.segments.reversed().map { segment in
            Segment(prefix: RowKeys.prefix(stream: segment.stream, view: view, version: version), bound: min(bound, segment.lastSeq))
        }
    }

    /// The rows of the cross-object view `view` (at `version`) as of the log position `bound`:
    /// one stream (``EventStore/logViewStream``), its row versions stored at log positions.
    init(layout: StoreLayout, logView view: String, version: Int, bound: Position) {
        database = layout.rows
        self.layout = layout
        segments = [Segment(prefix: RowKeys.prefix(stream: EventStore.logViewStream, view: view, version: version), bound: bound)]
    }

    /// The stored version of the row `key`: its JSON, or nil JSON when it was removed; nil when
    /// no stream of the line has a version of it at or below the bound.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a damaged record, or
    ///   LMDB's error.
    func version(of key: String, in transaction: some ReadableTransaction) throws -> RowRecord.Version? {
        var escaped: [UInt8] = []
        RowKeys.appendEscaped(key, to: &escaped)
        return try escaped.withUnsafeBytes { escaped in
            try transaction.withCursor(database) { cursor in
                for segment in segments where segment.bound > 0 {
                    let target = RowKeys.recordKey(prefix: segment.prefix, escaped: escaped, seq: segment.bound)
                    guard let entry = try target.withUnsafeBytes({ try cursor.seek(atMost: $0) }),
                        let parts = RowKeys.split(entry.key, prefixCount: segment.prefix.count),
                        entry.key.starts(with: segment.prefix), parts.escaped.elementsEqual(escaped)
                    else { continue }
                    return try layout.plainRow(entry.value, recordKey: entry.key, in: transaction)
                }
                return nil
            }
        }
    }

    /// The row with the nearest key after `key` (before it, when `after` is false; `key` itself
    /// too when `including`) among the keys starting with `prefix` that have a row (not removed)
    /// as of the bound: its key and JSON.
    func neighbour(
        of key: String, within prefix: String, after: Bool, including: Bool = false, in transaction: some ReadableTransaction
    ) throws -> (key: String, json: [UInt8])? {
        var escapedPrefix: [UInt8] = []
        RowKeys.appendEscaped(prefix, to: &escapedPrefix)
        var from: [UInt8] = []
        RowKeys.appendEscaped(key, to: &from)
        // A key before the prefix: every key with the prefix comes after it, the prefix itself too.
        var inclusive = including && after
        if after, from.lexicographicallyPrecedes(escapedPrefix) {
            from = escapedPrefix
            inclusive = true
        }
        return try transaction.withCursor(database) { cursor in
            while true {
                // The nearest key past `from` in each stream; the nearest of those, with the
                // newest stream's version when several streams hold it.
                var best: (escaped: [UInt8], version: RowRecord.Version)?
                for segment in segments where segment.bound > 0 {
                    guard let found = try Self.nearest(
                        in: segment, past: from, inclusive: inclusive, within: escapedPrefix, after: after, cursor: &cursor, layout: layout, transaction: transaction)
                    else { continue }
                    if let current = best {
                        let closer = after ? found.escaped.lexicographicallyPrecedes(current.escaped) : current.escaped.lexicographicallyPrecedes(found.escaped)
                        if closer { best = found }
                    } else {
                        best = found
                    }
                }
                guard let best else { return nil }
                if let json = best.version.json {
                    let rowKey = best.version.fullKey ?? best.escaped.withUnsafeBytes { RowKeys.unescape($0) }
                    return (rowKey, json)
                }
                from = best.escaped
                inclusive = false
            }
        }
    }

    /// The nearest escaped key past `from` (after or before it; `from` itself too when
    /// `inclusive`) starting with `escapedPrefix` that has a version at or below the segment's
    /// bound in the segment, with that version.
    private static func nearest(
        in segment: Segment, past from: [UInt8], inclusive: Bool, within escapedPrefix: [UInt8], after: Bool, cursor: inout Cursor,
        layout: StoreLayout, transaction: some ReadableTransaction
    ) throws -> (escaped: [UInt8], version: RowRecord.Version)? {
        let prefixCount = segment.prefix.count
        var entry: Entry?
        if inclusive {
            entry = try (segment.prefix + from).withUnsafeBytes { try cursor.seek(atLeast: $0) }
        } else if after {
            // Past every version of `from`: its escaped key, the terminator, then the largest seq.
            var start = segment.prefix + from
            start.append(0)
            start.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
            entry = try start.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            if let found = entry, found.key.elementsEqual(start) { entry = try cursor.next() }
        } else {
            var start = segment.prefix + from
            start.append(0)
            entry = try start.withUnsafeBytes { try cursor.seek(atMost: $0) }
            if let found = entry, found.key.elementsEqual(start) { entry = try cursor.previous() }
        }
        // The key being read and its version at or below the bound so far (borrowed bytes stay
        // valid while nothing is written in the transaction).
        var pending: (escaped: [UInt8], value: UnsafeRawBufferPointer?, recordKey: UnsafeRawBufferPointer?)?
        while let current = entry {
            guard current.key.starts(with: segment.prefix), let parts = RowKeys.split(current.key, prefixCount: prefixCount),
                parts.escaped.starts(with: escapedPrefix)
            else { break }
            if let open = pending, !parts.escaped.elementsEqual(open.escaped) {
                if let value = open.value, let recordKey = open.recordKey {
                    return (open.escaped, try layout.plainRow(value, recordKey: recordKey, in: transaction))
                }
                pending = nil
            }
            if pending == nil { pending = (Array(parts.escaped), nil, nil) }
            // Ascending seqs: the last one at or below the bound wins; descending: the first.
            if parts.seq <= segment.bound, after || pending?.value == nil {
                pending?.value = current.value
                pending?.recordKey = current.key
            }
            entry = after ? try cursor.next() : try cursor.previous()
        }
        if let open = pending, let value = open.value, let recordKey = open.recordKey {
            return (open.escaped, try layout.plainRow(value, recordKey: recordKey, in: transaction))
        }
        return nil
    }
}
