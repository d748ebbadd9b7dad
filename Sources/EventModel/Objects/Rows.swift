/// Where a keyed view's rows live while it is folded: the engine's store (rows in memory since
/// the last checkpoint over rows in storage), or memory alone for tests and tools.
///
/// Keys are strings compared byte by byte (UTF-8), which is the order neighbour lookups and
/// range reads follow. A storage is used by one thread at a time.
public protocol RowStorage<Row>: AnyObject, Sendable {
    /// The row type.
    associatedtype Row

    /// The row under `key`, or nil.
    func row(_ key: String) -> Row?
    /// Puts `row` under `key` (nil removes it), changed by the event `seq`.
    func setRow(_ key: String, _ row: Row?, seq: Seq)
    /// Changes the row under `key` in place (nil: absent, or removed when set to nil), by the
    /// event `seq`. A storage that holds the row uniquely changes it without a copy.
    func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void)
    /// The row with the nearest key after `key` (or before it, when `after` is false) among the
    /// keys that start with `prefix`; nil when there is none.
    func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)?
}

extension RowStorage {
    /// Reads the row, changes it, puts it back.
    public func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void) {
        var row = self.row(key)
        body(&row)
        setRow(key, row, seq: seq)
    }
}

/// The rows of a keyed view as its reducer sees them while folding one event: read and write
/// by key, and find the nearest keys in order.
@frozen
public struct Rows<Row>: Sendable {
    @usableFromInline let storage: any RowStorage<Row>
    /// The storage when it is the engine's live rows: reads and writes then compile to code
    /// specialized for the row type, not calls through the protocol.
    @usableFromInline let live: LiveRows<Row>?
    @usableFromInline let seq: Seq

    /// The rows of `storage`, written by the event `seq`.
    public init(_ storage: any RowStorage<Row>, seq: Seq) {
        self.storage = storage
        self.live = storage as? LiveRows<Row>
        self.seq = seq
    }

    /// The engine's live rows, written by the event `seq` (no cast: the writer's path).
    public init(_ live: LiveRows<Row>, seq: Seq) {
        storage = live
        self.live = live
        self.seq = seq
    }

    @usableFromInline
    init(storage: any RowStorage<Row>, live: LiveRows<Row>?, seq: Seq) {
        self.storage = storage
        self.live = live
        self.seq = seq
    }

    /// The same rows, written by the event `seq`: what a fold hands each event, made without
    /// looking at the storage's type again.
    @inlinable
    public func written(by seq: Seq) -> Rows { Rows(storage: storage, live: live, seq: seq) }

    /// The row under `key`; setting nil removes it.
    @inlinable
    public subscript(key: String) -> Row? {
        get { if let live { live.row(key) } else { storage.row(key) } }
        nonmutating set { if let live { live.setRow(key, newValue, seq: seq) } else { storage.setRow(key, newValue, seq: seq) } }
    }

    /// Changes the row under `key` in place: `body` gets it (nil when there is none) and may
    /// change it, or set it to nil to remove it. Cheaper than reading and setting a large row.
    @inlinable
    public func update(_ key: String, _ body: (inout Row?) -> Void) {
        if let live { live.modifyRow(key, seq: seq, body) } else { storage.modifyRow(key, seq: seq, body) }
    }

    /// The row with the nearest key after `key` among those starting with `prefix`.
    public func next(after key: String, within prefix: String) -> (key: String, row: Row)? {
        storage.neighbour(of: key, within: prefix, after: true)
    }

    /// The row with the nearest key before `key` among those starting with `prefix`.
    public func previous(before key: String, within prefix: String) -> (key: String, row: Row)? {
        storage.neighbour(of: key, within: prefix, after: false)
    }

    /// The same rows, read-only.
    public var reader: RowReader<Row> { RowReader(storage) }
}

/// The rows of a keyed view as deciders, timer handlers and invariants see them: read-only.
@frozen
public struct RowReader<Row>: Sendable {
    @usableFromInline let storage: (any RowStorage<Row>)?
    @usableFromInline let live: LiveRows<Row>?

    /// Reads `storage`.
    public init(_ storage: any RowStorage<Row>) {
        self.storage = storage
        live = storage as? LiveRows<Row>
    }

    /// Reads nothing: the rows of a view that has none.
    public static var none: RowReader<Row> { RowReader() }

    private init() {
        storage = nil
        live = nil
    }

    /// The row under `key`, or nil.
    @inlinable
    public subscript(key: String) -> Row? { if let live { live.row(key) } else { storage?.row(key) } }

    /// The row with the nearest key after `key` among those starting with `prefix`.
    public func next(after key: String, within prefix: String) -> (key: String, row: Row)? {
        storage?.neighbour(of: key, within: prefix, after: true)
    }

    /// The row with the nearest key before `key` among those starting with `prefix`.
    public func previous(before key: String, within prefix: String) -> (key: String, row: Row)? {
        storage?.neighbour(of: key, within: prefix, after: false)
    }
}

/// Which rows a read asks for: one key, the keys with a prefix, or a range of keys (`from`
/// included, `to` excluded), in key order, starting after `after` when paging.
public struct RowQuery: Sendable, Equatable {
    /// What the keys must be.
    public enum Match: Sendable, Equatable {
        /// Exactly this key.
        case key(String)
        /// Every key starting with this prefix.
        case prefix(String)
        /// Keys from the first (included) to the second (excluded; nil: no end), within a prefix.
        case range(prefix: String, from: String, to: String?)
    }

    /// What the keys must be.
    public var match: Match
    /// Only keys after this one (the last key of the page before).
    public var after: String?
    /// At most this many rows.
    public var limit: Int

    /// A query for the rows `match` names, after `after`, at most `limit`.
    public init(_ match: Match, after: String? = nil, limit: Int = 100) {
        self.match = match
        self.after = after
        self.limit = limit
    }

    /// Whether `key` is one of the rows the query asks for (ignoring `after` and `limit`).
    public func matches(_ key: String) -> Bool {
        switch match {
        case .key(let exact): return key == exact
        case .prefix(let prefix): return key.utf8.starts(with: prefix.utf8)
        case .range(let prefix, let from, let to):
            guard key.utf8.starts(with: prefix.utf8), !key.utf8.lexicographicallyPrecedes(from.utf8) else { return false }
            return to.map { key.utf8.lexicographicallyPrecedes($0.utf8) } ?? true
        }
    }

    /// Whether keys after `key`, in key order, may still match: false once a scan has passed
    /// the query's last key.
    public func canMatch(after key: String) -> Bool {
        switch match {
        case .key: return false
        case .prefix(let prefix): return !prefix.utf8.lexicographicallyPrecedes(key.utf8) || key.utf8.starts(with: prefix.utf8)
        case .range(let prefix, _, let to):
            if let to, !key.utf8.lexicographicallyPrecedes(to.utf8) { return false }
            return !prefix.utf8.lexicographicallyPrecedes(key.utf8) || key.utf8.starts(with: prefix.utf8)
        }
    }

    /// The first key the query can match, in key order.
    public var lowerBound: String {
        let start: String
        switch match {
        case .key(let key): start = key
        case .prefix(let prefix): start = prefix
        case .range(let prefix, let from, _): start = from.utf8.lexicographicallyPrecedes(prefix.utf8) ? prefix : from
        }
        guard let after, !after.utf8.lexicographicallyPrecedes(start.utf8) else { return start }
        return after + "\u{0}"
    }
}
