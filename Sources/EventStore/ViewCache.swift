import EventModel
import LMDB

/// The view states one write transaction touches: loaded once, folded as requests of the batch
/// append, written once before the commit (so a view is always exactly as current as the log
/// it was folded from, and a failed transaction leaves the stored views untouched).
struct ViewCache {
    private struct Key: Hashable {
        let stream: UInt64
        let name: String
    }

    private struct Entry {
        var state: JSONValue
        var seq: Seq
        let version: Int
        var isDirty: Bool
        /// The seq the state had when this transaction first saw it.
        var loadedSeq: Seq
        /// The object type's snapshot interval, when it has its own.
        var snapshotInterval: UInt64?
    }

    private var entries: [Key: Entry] = [:]
    /// Unusable snapshots met while folding, to write again.
    private var repairs: [SnapshotRepair] = []

    /// The state of `view` for `stream` at `head`: the stored one when it was written by this
    /// view version at that seq, otherwise folded again from the stream's events.
    mutating func state(
        of view: AnyProjection, stream: UInt64, head: Seq, layout: StoreLayout, transaction: some ReadableTransaction
    ) throws -> JSONValue {
        let key = Key(stream: stream, name: view.name)
        if let entry = entries[key], entry.seq == head { return entry.state }
        if let stored = try StoredView.read(stream: stream, name: view.name, layout: layout, transaction: transaction),
            stored.version == view.version, stored.seq == head
        {
            entries[key] = Entry(state: stored.state, seq: head, version: view.version, isDirty: false, loadedSeq: head)
            return stored.state
        }
        let lineage = try layout.lineage(of: stream, in: transaction)
        let folded = try ViewFolder(layout: layout).state(of: view, lineage: lineage, at: head, in: transaction)
        repairs += folded.repairs
        entries[key] = Entry(state: folded.state, seq: head, version: view.version, isDirty: true, loadedSeq: head)
        return folded.state
    }

    /// Folds `events` (which follow `head`) into `view`'s state and returns the new state;
    /// `snapshotInterval` is the object type's own, if it has one.
    mutating func fold(
        _ view: AnyProjection, stream: UInt64, head: Seq, events: [RecordedEvent], snapshotInterval: UInt64? = nil, layout: StoreLayout,
        transaction: some ReadableTransaction
    ) throws -> JSONValue {
        let before = try state(of: view, stream: stream, head: head, layout: layout, transaction: transaction)
        let after = try view.fold(before, events)
        let key = Key(stream: stream, name: view.name)
        let loadedSeq = entries[key]?.loadedSeq ?? head
        entries[key] = Entry(
            state: after, seq: events.last?.seq ?? head, version: view.version, isDirty: true, loadedSeq: loadedSeq,
            snapshotInterval: snapshotInterval)
        return after
    }

    /// Forgets what this transaction folded for `stream` (deleted in it): nothing is written
    /// back under a dead stream number.
    mutating func forget(stream: UInt64) {
        entries = entries.filter { $0.key.stream != stream }
        repairs.removeAll { $0.stream == stream }
    }

    /// Writes every state folded in this transaction, a snapshot of each one whose seq crossed
    /// a multiple of its snapshot interval (the type's own, else `snapshotIntervalEvents`) in
    /// it, and the replacements of unusable snapshots met.
    func store(layout: StoreLayout, transaction: WriteTransaction, snapshotIntervalEvents: UInt64) throws {
        var snapshots: SnapshotWriter?
        for repair in repairs {
            if snapshots == nil { snapshots = SnapshotWriter() }
            try snapshots?.write(
                stream: repair.stream, name: repair.viewName, version: repair.version, seq: repair.seq, state: repair.state, layout: layout,
                transaction: transaction)
        }
        for (key, entry) in entries where entry.isDirty {
            try StoredView.write(
                stream: key.stream, name: key.name, version: entry.version, seq: entry.seq, state: entry.state, layout: layout,
                transaction: transaction)
            let interval = max(1, entry.snapshotInterval ?? snapshotIntervalEvents)
            if entry.seq / interval > entry.loadedSeq / interval {
                if snapshots == nil { snapshots = SnapshotWriter() }
                try snapshots?.write(
                    stream: key.stream, name: key.name, version: entry.version, seq: entry.seq, state: entry.state, layout: layout,
                    transaction: transaction)
            }
        }
    }
}

/// A view state as stored in the `views` database: key stream (8, BE) + view name; value view
/// version (4, LE) + seq (8, LE) + the state as compact JSON with sorted keys.
struct StoredView {
    let version: Int
    let seq: Seq
    let state: JSONValue

    static func withKey<R>(stream: UInt64, name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        key.append(contentsOf: name.utf8)
        return try key.withUnsafeBytes(body)
    }

    /// The stored value's parts, borrowed: version, seq and the state's JSON bytes.
    static func parts(_ value: UnsafeRawBufferPointer) -> (version: Int, seq: Seq, json: UnsafeRawBufferPointer)? {
        guard value.count > 12 else { return nil }
        return (
            Int(UInt32(littleEndian: value.loadUnaligned(as: UInt32.self))),
            UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
            UnsafeRawBufferPointer(rebasing: value[12...])
        )
    }

    static func read(stream: UInt64, name: String, layout: StoreLayout, transaction: some ReadableTransaction) throws -> StoredView? {
        try withKey(stream: stream, name: name) { key in
            guard let value = try transaction.get(layout.views, key: key), let parts = parts(value) else { return nil }
            guard let state = try? JSONValue(parsing: parts.json) else { return nil }
            return StoredView(version: parts.version, seq: parts.seq, state: state)
        }
    }

    static func write(
        stream: UInt64, name: String, version: Int, seq: Seq, state: JSONValue, layout: StoreLayout, transaction: WriteTransaction
    ) throws {
        var writer = JSONWriter(capacity: 256)
        withUnsafeBytes(of: UInt32(version).littleEndian) { writer.raw($0) }
        withUnsafeBytes(of: seq.littleEndian) { writer.raw($0) }
        writer.value(state)
        try withKey(stream: stream, name: name) { key in
            try writer.bytes.withUnsafeBytes { try transaction.put(layout.views, key: key, value: $0) }
        }
    }
}

extension RecordedEvent {
    /// The event as reducers see it, its data parsed from the stored bytes.
    init(_ event: StoredEvent) throws {
        self.init(
            seq: event.seq, id: event.id, type: String(decoding: event.type, as: UTF8.self), data: try JSONValue(parsing: event.data),
            timeMilliseconds: event.timeMilliseconds)
    }
}
