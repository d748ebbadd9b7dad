/// An event of the global log as a cross-object view sees it: the event, its object and branch,
/// its position and its metadata.
public struct LogEvent: Sendable {
    /// The object the event belongs to.
    public let object: ObjectKey
    /// Its branch.
    public let branch: BranchName
    /// Its position in the global log.
    public let position: Position
    /// The event.
    public let event: RecordedEvent
    /// The event's metadata as stored: a compact JSON object (empty when it has none).
    public let metadataJSON: [UInt8]

    /// An event of the log.
    public init(object: ObjectKey, branch: BranchName, position: Position, event: RecordedEvent, metadataJSON: [UInt8] = []) {
        self.object = object
        self.branch = branch
        self.position = position
        self.event = event
        self.metadataJSON = metadataJSON
    }

    /// The metadata's member `name` (parsed when asked for; nil when absent or not JSON).
    public func metadata(_ name: String) -> JSONValue? {
        guard !metadataJSON.isEmpty, let tree = try? metadataJSON.withUnsafeBytes({ try JSONValue(parsing: $0) }) else { return nil }
        return tree[name]
    }
}

/// A view over the global log, across objects (stock totals across every SKU, the SKUs low on
/// stock, the buildings with most active alerts): a deterministic fold of every committed event
/// in position order into a summary and, for a keyed view, rows by key (a secondary index).
/// The engine stores summary, changed rows and the position they reflect in one transaction,
/// so each event is folded exactly once, and catches up after restarts.
///
/// Rows are read by key, prefix and range in key order; those a view gives a sort key
/// (``sortKey(of:)``) are also read in that order (top-N reads).
public protocol LogProjection: Sendable {
    /// The summary; stored as JSON, whole, at every write: keep it small, and what grows with
    /// the log in rows.
    associatedtype State: Codable & Sendable & Equatable
    /// The rows' type (``NoRow``: a view without rows).
    associatedtype Row: Codable & Sendable & Equatable = NoRow
    /// The view's name in URLs (`/v1/views/{name}`): lowercase letters, digits and `-`.
    var name: String { get }
    /// Bumped whenever `apply` changes meaning (the view is then folded again from the start).
    var version: Int { get }
    /// The state before any event.
    var initialState: State { get }
    /// The object types it reads; nil: every type. Events of others are skipped unparsed.
    var objectTypes: [String]? { get }
    /// Folds one event into the summary and the rows.
    func apply(_ state: inout State, _ rows: Rows<Row>, _ event: LogEvent)
    /// What the rows' order sorts by, in a word (`activeAlerts`); nil (the default): the rows
    /// have no order but their keys'.
    var orderedBy: String? { get }
    /// Where `row` sorts in the view's order (`?order=asc|desc`), ties by key; nil leaves it
    /// out of that order. The default leaves every row out. It must depend only on what the row
    /// encodes: readers compute it again from the stored row to check the row's place in the
    /// order (`evtool verify` reports a row whose sort key does not survive its encoding).
    func sortKey(of row: Row) -> Int64?
}

extension LogProjection {
    /// No order but the keys'.
    public var orderedBy: String? { nil }
    /// No row has a place in an order.
    public func sortKey(of row: Row) -> Int64? { nil }
}

/// Makes the storage a cross-object view's rows are read from below its changes in memory;
/// the engine's is its `rows` database as of the view's stored position.
public protocol LogRowSource: Sendable {
    /// The rows below, typed.
    func storage<Row: Codable & Sendable>(of type: Row.Type) -> any RowStorage<Row>
}

/// A row of a cross-object view changed since its last write, encoded for storage.
public struct LogRowChange: Sendable {
    /// Its key.
    public let key: String
    /// The row as compact JSON; nil when it was removed.
    public let json: [UInt8]?
    /// Its sort key (nil: not in the view's order, or removed).
    public let sortKey: Int64?
    /// Its sort key as storage has it before the change (nil: it was not in the order), when
    /// the write was asked to say: the order moves the row from there without looking it up.
    public let previousSortKey: Int64?

    /// A change of the row `key` to `json` (nil: removed), at `sortKey` in the order, from
    /// `previousSortKey`.
    public init(key: String, json: [UInt8]?, sortKey: Int64?, previousSortKey: Int64? = nil) {
        self.key = key
        self.json = json
        self.sortKey = sortKey
        self.previousSortKey = previousSortKey
    }
}

/// The rows a cross-object view's write stores, as they were when it started: encoded when
/// asked, on whichever thread asks (their values are copies; the fold goes on meanwhile).
public struct FrozenLogRows: Sendable {
    private let encode: @Sendable (((String) throws -> [UInt8]?)?) throws -> [LogRowChange]

    init(_ encode: @escaping @Sendable (((String) throws -> [UInt8]?)?) throws -> [LogRowChange]) { self.encode = encode }

    /// The rows, encoded, in no order; with `stored` (a row's JSON in storage before the write,
    /// by key), each with the sort key it had there (``LogRowChange/previousSortKey``).
    /// - Throws: when a row holds a number JSON cannot, or what `stored` throws, or when a
    ///   stored row does not decode.
    public func encoded(stored: ((String) throws -> [UInt8]?)? = nil) throws -> [LogRowChange] { try encode(stored) }
}

/// A cross-object view with its state type erased, for the engine.
public struct AnyLogProjection: Sendable {
    /// The view's name.
    public let name: String
    /// The view's version.
    public let version: Int
    /// The object types it reads, as UTF-8; nil: every type.
    public let objectTypes: [[UInt8]]?
    /// Whether it keeps rows.
    public let isKeyed: Bool
    /// What its rows' order sorts by (``LogProjection/orderedBy``); nil for a view without
    /// rows or without an order.
    public let orderedBy: String?
    private let makeState: @Sendable (JSONValue?, any LogRowSource) throws -> LogViewState
    private let rowSortKey: @Sendable ([UInt8]) throws -> Int64?

    /// Wraps `projection`.
    public init<P: LogProjection>(_ projection: P) {
        precondition(
            !projection.name.isEmpty && projection.name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D },
            "a cross-object view's name is lowercase letters, digits and -: \(projection.name)")
        name = projection.name
        version = projection.version
        objectTypes = projection.objectTypes?.map { Array($0.utf8) }
        isKeyed = P.Row.self != NoRow.self
        orderedBy = isKeyed ? projection.orderedBy : nil
        makeState = { stored, source in
            let summary = try stored.map { try JSONValueDecoder().decode(P.State.self, from: $0) } ?? projection.initialState
            return LogViewState(TypedLogViewState(projection, summary: summary, rows: LiveRows(below: source.storage(of: P.Row.self))))
        }
        rowSortKey = { try projection.sortKey(ofRow: $0) }
    }

    /// The sort key of a row stored as `json` (nil: not in the order, or no order).
    /// - Throws: when `json` does not decode as the view's row.
    public func sortKey(ofRow json: [UInt8]) throws -> Int64? { try rowSortKey(json) }

    /// The typed state `stored` decodes to (nil: the initial state), its rows read from `source`
    /// below the changes folded into it.
    /// - Throws: when `stored` does not decode as the view's state.
    public func state(from stored: JSONValue?, rows source: any LogRowSource) throws -> LogViewState { try makeState(stored, source) }
}

/// A cross-object view's typed state, kept between folds (its type erased): folding events into
/// it changes it in place, whatever its size; only ``json()`` costs the whole summary, and a
/// write costs the rows changed since the last.
///
/// Not synchronized: one caller at a time.
public final class LogViewState: @unchecked Sendable {
    private let typed: any AnyTypedLogViewState

    init(_ typed: any AnyTypedLogViewState) { self.typed = typed }

    /// Folds `events`, in order, and makes their row changes visible to ``changes(matching:)``.
    public func fold(_ events: [LogEvent]) { typed.fold(events) { _ in true } }

    /// Folds the events of `events` whose index `include` accepts, in order: one scan of the
    /// log serves several views without copying it for each.
    public func fold(_ events: [LogEvent], where include: (Int) -> Bool) { typed.fold(events, where: include) }

    /// The summary as JSON.
    /// - Throws: when it holds a number JSON cannot (a reducer's bug).
    public func json() throws -> JSONValue { try typed.json() }

    /// Starts a write: the rows changed since the last one started, set aside as they are now,
    /// to be encoded off the fold (``FrozenLogRows/encoded()``).
    public func freeze() -> FrozenLogRows { typed.freeze() }

    /// The oldest write started is stored; rows below are read from `source` from now on.
    public func frozenStored(rows source: any LogRowSource) { typed.frozenStored(source) }

    /// The rows changed in memory (not read from below) that `query` matches, in key order,
    /// encoded; a nil row was removed.
    /// - Throws: when a row holds a number JSON cannot.
    public func changes(matching query: RowQuery) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)] { try typed.changes(matching: query) }

    /// The first `limit` rows storage does not hold yet in the view's order (ascending or
    /// `descending` sort key, ties by key) past `after`, encoded, with their sort keys: those
    /// rows are looked at, only the ones returned are encoded.
    /// - Throws: when a row holds a number JSON cannot.
    public func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int) throws -> [LogRowChange] {
        try typed.orderedChanges(descending: descending, after: after, limit: limit)
    }

    /// Whether the row `key` changed since storage last took the view's rows: the stored order
    /// does not know where it is now.
    public func holds(_ key: String) -> Bool { typed.holds(key) }

    /// The rows in memory, for `verify`: every row when they were all folded in memory from
    /// the initial state, encoded, in key order.
    /// - Throws: when a row holds a number JSON cannot.
    public func allChanges() throws -> [LogRowChange] { try typed.allChanges() }
}

protocol AnyTypedLogViewState: AnyObject {
    func fold(_ events: [LogEvent], where include: (Int) -> Bool)
    func json() throws -> JSONValue
    func freeze() -> FrozenLogRows
    func frozenStored(_ source: any LogRowSource)
    func changes(matching query: RowQuery) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)]
    func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int) throws -> [LogRowChange]
    func holds(_ key: String) -> Bool
    func allChanges() throws -> [LogRowChange]
}

/// A cross-object view's summary and rows, typed.
final class TypedLogViewState<P: LogProjection>: AnyTypedLogViewState {
    let projection: P
    var summary: P.State
    let rows: LiveRows<P.Row>

    init(_ projection: P, summary: P.State, rows: LiveRows<P.Row>) {
        self.projection = projection
        self.summary = summary
        self.rows = rows
    }

    func fold(_ events: [LogEvent], where include: (Int) -> Bool) {
        let base = Rows(rows, seq: 0)
        for index in events.indices where include(index) {
            projection.apply(&summary, base.written(by: events[index].position), events[index])
        }
        rows.commitBatch()
    }

    func json() throws -> JSONValue { try JSONValueEncoder().encode(summary) }

    func freeze() -> FrozenLogRows {
        let frozen = rows.freeze()
        let projection = projection
        return FrozenLogRows { stored in
            try frozen.map { item in
                let previous = try stored?(item.key.string).flatMap(projection.sortKey(ofRow:))
                guard let row = item.slot.row else { return LogRowChange(key: item.key.string, json: nil, sortKey: nil, previousSortKey: previous) }
                return LogRowChange(
                    key: item.key.string, json: try JSONBytesEncoder().encode(row), sortKey: projection.sortKey(of: row), previousSortKey: previous)
            }
        }
    }

    /// The rows stored stay in memory a while (those changing now are likely to change again)
    /// and leave as later folds sweep them; reads in the view's order look only at the rows
    /// storage does not hold yet.
    func frozenStored(_ source: any LogRowSource) { rows.frozenStored(below: source.storage(of: P.Row.self)) }

    func changes(matching query: RowQuery) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)] {
        try rows.committedMatches(query).map { ($0.key, RowSlot(row: try $0.slot.row.map(encode), seq: $0.slot.seq)) }
    }

    func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int) throws -> [LogRowChange] {
        func precedes(_ a: (Int64, ByteKey), _ b: (Int64, ByteKey)) -> Bool {
            if a.0 != b.0 { return descending ? a.0 > b.0 : a.0 < b.0 }
            return descending ? b.1.precedes(a.1) : a.1.precedes(b.1)
        }
        let start = after.map { ($0.sortKey, ByteKey($0.key)) }
        // The best `limit` so far, in order: a page is small, the rows in memory may be many.
        var best: [(sortKey: Int64, key: ByteKey, row: P.Row)] = []
        rows.forEachUnstored { key, slot in
            guard let row = slot.row, let sortKey = projection.sortKey(of: row) else { return }
            if let start, !precedes(start, (sortKey, key)) { return }
            if best.count == limit, let last = best.last, !precedes((sortKey, key), (last.sortKey, last.key)) { return }
            let index = best.firstIndex { precedes((sortKey, key), ($0.sortKey, $0.key)) } ?? best.endIndex
            best.insert((sortKey, key, row), at: index)
            if best.count > limit { best.removeLast() }
        }
        return try best.map { LogRowChange(key: $0.key.string, json: try encode($0.row), sortKey: $0.sortKey) }
    }

    func holds(_ key: String) -> Bool { rows.unstoredRow(key) != nil }

    func allChanges() throws -> [LogRowChange] {
        try rows.committedMatches(RowQuery(.prefix(""), limit: .max)).map { try change($0.key.string, $0.slot.row) }
    }

    private func change(_ key: String, _ row: P.Row?) throws -> LogRowChange {
        guard let row else { return LogRowChange(key: key, json: nil, sortKey: nil) }
        return LogRowChange(key: key, json: try encode(row), sortKey: projection.sortKey(of: row))
    }

    private func encode(_ row: P.Row) throws -> [UInt8] { try JSONBytesEncoder().encode(row) }
}

extension LogProjection {
    /// The sort key of a row stored as `json`.
    func sortKey(ofRow json: [UInt8]) throws -> Int64? {
        let tree = try json.withUnsafeBytes { try JSONValue(parsing: $0) }
        return sortKey(of: try JSONValueDecoder().decode(Row.self, from: tree))
    }
}
