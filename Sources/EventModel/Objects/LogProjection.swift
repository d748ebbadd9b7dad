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
    /// The rows below of another tenant's part: a view's parts are folded and stored apart.
    func part(_ tenant: Tenant) -> any LogRowSource
    /// The summary of another tenant's part as stored (nil: none yet). A failure to read it is
    /// the source's to record (the fold that asked is then thrown away).
    func summary(of tenant: Tenant) -> JSONValue?
}

/// A row of a cross-object view changed since its last write, encoded for storage.
public struct LogRowChange: Sendable {
    /// The tenant whose part of the view the row is in.
    public let tenant: Tenant
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
    public init(key: String, json: [UInt8]?, sortKey: Int64?, previousSortKey: Int64? = nil, tenant: Tenant = .default) {
        self.tenant = tenant
        self.key = key
        self.json = json
        self.sortKey = sortKey
        self.previousSortKey = previousSortKey
    }
}

/// The rows a cross-object view's write stores, as they were when it started: encoded when
/// asked, on whichever thread asks (their values are copies; the fold goes on meanwhile).
public struct FrozenLogRows: Sendable {
    private let encode: @Sendable (((Tenant, String) throws -> [UInt8]?)?) throws -> [LogRowChange]

    init(_ encode: @escaping @Sendable (((Tenant, String) throws -> [UInt8]?)?) throws -> [LogRowChange]) { self.encode = encode }

    /// The rows, encoded, in no order, each with its tenant; with `stored` (a row's JSON in
    /// storage before the write, by tenant and key), each with the sort key it had there
    /// (``LogRowChange/previousSortKey``).
    /// - Throws: when a row holds a number JSON cannot, or what `stored` throws, or when a
    ///   stored row does not decode.
    public func encoded(stored: ((Tenant, String) throws -> [UInt8]?)? = nil) throws -> [LogRowChange] { try encode(stored) }
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
    /// For one tenant's part alone (``part(_:)``): that tenant; nil for the view itself, which
    /// folds every tenant's events, each into its tenant's part.
    public let tenant: Tenant?
    private let makeState: @Sendable (JSONValue?, any LogRowSource) throws -> LogViewState
    private let rowSortKey: @Sendable ([UInt8]) throws -> Int64?
    private let makePart: @Sendable (Tenant) -> AnyLogProjection

    /// Wraps `projection`.
    public init<P: LogProjection>(_ projection: P) { self.init(projection, only: nil) }

    private init<P: LogProjection>(_ projection: P, only: Tenant?) {
        precondition(
            !projection.name.isEmpty && projection.name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D },
            "a cross-object view's name is lowercase letters, digits and -: \(projection.name)")
        name = Self.partName(projection.name, only ?? .default)
        tenant = only
        version = projection.version
        objectTypes = projection.objectTypes?.map { Array($0.utf8) }
        isKeyed = P.Row.self != NoRow.self
        orderedBy = isKeyed ? projection.orderedBy : nil
        makeState = { stored, source in
            let summary = try stored.map { try JSONValueDecoder().decode(P.State.self, from: $0) } ?? projection.initialState
            return LogViewState(TypedLogViewState(projection, only: only, summary: summary, source: source))
        }
        rowSortKey = { try projection.sortKey(ofRow: $0) }
        makePart = { tenant in AnyLogProjection(projection, only: tenant) }
    }

    /// The name `view`'s part of `tenant` is stored under: the view's own for the default
    /// tenant, `view|tenant` for another (a view's name never holds `|`).
    public static func partName(_ view: String, _ tenant: Tenant) -> String { tenant.isDefault ? view : "\(view)|\(tenant.name)" }

    /// The view as one tenant sees it: named and stored as its part (``partName(_:_:)``), and
    /// folding that tenant's events only. What reads as of a position and `verify` use.
    public func part(_ tenant: Tenant) -> AnyLogProjection { makePart(tenant) }

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

    /// Folds `events`, in order, each into its tenant's part, and makes their row changes
    /// visible to ``changes(matching:tenant:)``.
    public func fold(_ events: [LogEvent]) { typed.fold(events) { _ in true } }

    /// Folds the events of `events` whose index `include` accepts, in order: one scan of the
    /// log serves several views without copying it for each.
    public func fold(_ events: [LogEvent], where include: (Int) -> Bool) { typed.fold(events, where: include) }

    /// The summary of the default tenant's part (of the tenant's, for a part alone) as JSON.
    /// - Throws: when it holds a number JSON cannot (a reducer's bug).
    public func json() throws -> JSONValue { try typed.json(of: nil) ?? .null }

    /// The summary of `tenant`'s part as JSON; nil when memory holds nothing of it (it is as
    /// stored).
    /// - Throws: when it holds a number JSON cannot (a reducer's bug).
    public func json(of tenant: Tenant) throws -> JSONValue? { tenant.isDefault ? try typed.json(of: nil) : try typed.json(of: tenant) }

    /// The summaries of the other tenants' parts changed since the last ``freeze()``, as JSON:
    /// what the write that freeze starts stores beside the default tenant's.
    /// - Throws: when one holds a number JSON cannot.
    public func changedPartSummaries() throws -> [(tenant: Tenant, summary: JSONValue)] { try typed.changedPartSummaries() }

    /// Starts a write: the rows changed since the last one started (every tenant's), set aside
    /// as they are now, to be encoded off the fold (``FrozenLogRows/encoded(stored:)``).
    public func freeze() -> FrozenLogRows { typed.freeze() }

    /// The oldest write started is stored; rows below are read from `source` from now on.
    public func frozenStored(rows source: any LogRowSource) { typed.frozenStored(source) }

    /// The rows of `tenant`'s part changed in memory (not read from below) that `query`
    /// matches, in key order, encoded; a nil row was removed.
    /// - Throws: when a row holds a number JSON cannot.
    public func changes(matching query: RowQuery, tenant: Tenant = .default) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)] {
        try typed.changes(matching: query, tenant: tenant)
    }

    /// The first `limit` rows of `tenant`'s part storage does not hold yet in the view's order
    /// (ascending or `descending` sort key, ties by key) past `after`, encoded, with their sort
    /// keys: those rows are looked at, only the ones returned are encoded.
    /// - Throws: when a row holds a number JSON cannot.
    public func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int, tenant: Tenant = .default) throws -> [LogRowChange] {
        try typed.orderedChanges(descending: descending, after: after, limit: limit, tenant: tenant)
    }

    /// Whether the row `key` of `tenant`'s part changed since storage last took the view's
    /// rows: the stored order does not know where it is now.
    public func holds(_ key: String, tenant: Tenant = .default) -> Bool { typed.holds(key, tenant: tenant) }

    /// The rows in memory, for `verify`: every row when they were all folded in memory from
    /// the initial state, encoded, in key order (of the default tenant's part, or the part's
    /// alone).
    /// - Throws: when a row holds a number JSON cannot.
    public func allChanges() throws -> [LogRowChange] { try typed.allChanges() }
}

protocol AnyTypedLogViewState: AnyObject {
    func fold(_ events: [LogEvent], where include: (Int) -> Bool)
    func json(of tenant: Tenant?) throws -> JSONValue?
    func changedPartSummaries() throws -> [(tenant: Tenant, summary: JSONValue)]
    func freeze() -> FrozenLogRows
    func frozenStored(_ source: any LogRowSource)
    func changes(matching query: RowQuery, tenant: Tenant) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)]
    func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int, tenant: Tenant) throws -> [LogRowChange]
    func holds(_ key: String, tenant: Tenant) -> Bool
    func allChanges() throws -> [LogRowChange]
}

/// A cross-object view's summaries and rows, typed: one part per tenant, each folded from its
/// tenant's events only and stored apart (``AnyLogProjection/partName(_:_:)``). The default
/// tenant's part is read with the state; another's is read from the source the first time one
/// of its events is folded.
final class TypedLogViewState<P: LogProjection>: AnyTypedLogViewState {
    /// One tenant's summary and rows.
    final class Part {
        var summary: P.State
        let rows: LiveRows<P.Row>

        init(summary: P.State, rows: LiveRows<P.Row>) {
            self.summary = summary
            self.rows = rows
        }
    }

    let projection: P
    /// For a part alone: its tenant (events of others are passed over).
    let only: Tenant?
    /// The default tenant's part (the tenant's, for a part alone).
    let main: Part
    /// Other tenants' parts folded since the state was read.
    private var parts: [Tenant: Part] = [:]
    /// Where parts not read yet are read from: storage as of the last write.
    private var source: any LogRowSource
    /// The parts changed since the last freeze, and those the write in flight took.
    private var changed: Set<Tenant> = []
    private var frozen: [Tenant] = []

    init(_ projection: P, only: Tenant?, summary: P.State, source: any LogRowSource) {
        self.projection = projection
        self.only = only
        self.source = source
        main = Part(summary: summary, rows: LiveRows(below: source.storage(of: P.Row.self)))
    }

    /// The part of `tenant` (read from the source the first time).
    private func part(_ tenant: Tenant) -> Part {
        if let part = parts[tenant] { return part }
        // A summary that cannot be read reads as the initial one; the source records why, and
        // the fold that asked is thrown away.
        let summary = source.summary(of: tenant).flatMap { try? JSONValueDecoder().decode(P.State.self, from: $0) } ?? projection.initialState
        let part = Part(summary: summary, rows: LiveRows(below: source.part(tenant).storage(of: P.Row.self)))
        parts[tenant] = part
        return part
    }

    /// The part of `tenant` if it is in memory (the main one for the default tenant).
    private func held(_ tenant: Tenant) -> Part? { tenant.isDefault || tenant == only ? main : parts[tenant] }

    func fold(_ events: [LogEvent], where include: (Int) -> Bool) {
        let base = Rows(main.rows, seq: 0)
        var touched: Set<Tenant> = []
        var last: (tenant: Tenant, part: Part, rows: Rows<P.Row>)?
        for index in events.indices where include(index) {
            // The events are read in place (a copy of each would retain its every member).
            if only == nil ? events[index].object.tenant.isDefault : events[index].object.tenant == only {
                projection.apply(&main.summary, base.written(by: events[index].position), events[index])
                continue
            }
            guard only == nil else { continue }
            let tenant = events[index].object.tenant
            if last?.tenant != tenant {
                let part = part(tenant)
                touched.insert(tenant)
                last = (tenant, part, Rows(part.rows, seq: 0))
            }
            projection.apply(&last!.part.summary, last!.rows.written(by: events[index].position), events[index])
        }
        main.rows.commitBatch()
        for tenant in touched { parts[tenant]?.rows.commitBatch() }
        changed.formUnion(touched)
    }

    func json(of tenant: Tenant?) throws -> JSONValue? {
        guard let tenant else { return try JSONValueEncoder().encode(main.summary) }
        guard let part = held(tenant) else { return nil }
        return try JSONValueEncoder().encode(part.summary)
    }

    func changedPartSummaries() throws -> [(tenant: Tenant, summary: JSONValue)] {
        try changed.sorted { $0.name < $1.name }.compactMap { tenant in
            guard let part = parts[tenant] else { return nil }
            return (tenant, try JSONValueEncoder().encode(part.summary))
        }
    }

    func freeze() -> FrozenLogRows {
        var gathered: [(tenant: Tenant, rows: [(key: ByteKey, slot: RowSlot<P.Row>)])] = [(only ?? .default, main.rows.freeze())]
        for tenant in changed.sorted(by: { $0.name < $1.name }) {
            if let part = parts[tenant] { gathered.append((tenant, part.rows.freeze())) }
        }
        let taken = gathered
        frozen = Array(changed)
        changed = []
        let projection = projection
        return FrozenLogRows { stored in
            try taken.flatMap { tenant, rows in
                try rows.map { item in
                    let previous = try stored?(tenant, item.key.string).flatMap(projection.sortKey(ofRow:))
                    guard let row = item.slot.row else {
                        return LogRowChange(key: item.key.string, json: nil, sortKey: nil, previousSortKey: previous, tenant: tenant)
                    }
                    return LogRowChange(
                        key: item.key.string, json: try JSONBytesEncoder().encode(row), sortKey: projection.sortKey(of: row), previousSortKey: previous,
                        tenant: tenant)
                }
            }
        }
    }

    /// The rows stored stay in memory a while (those changing now are likely to change again)
    /// and leave as later folds sweep them; reads in the view's order look only at the rows
    /// storage does not hold yet.
    func frozenStored(_ source: any LogRowSource) {
        self.source = source
        main.rows.frozenStored(below: source.storage(of: P.Row.self))
        for tenant in frozen {
            parts[tenant]?.rows.frozenStored(below: source.part(tenant).storage(of: P.Row.self))
        }
        frozen = []
    }

    func changes(matching query: RowQuery, tenant: Tenant) throws -> [(key: ByteKey, slot: RowSlot<[UInt8]>)] {
        guard let part = held(tenant) else { return [] }
        return try part.rows.committedMatches(query).map { ($0.key, RowSlot(row: try $0.slot.row.map(encode), seq: $0.slot.seq)) }
    }

    func orderedChanges(descending: Bool, after: (sortKey: Int64, key: String)?, limit: Int, tenant: Tenant) throws -> [LogRowChange] {
        guard let part = held(tenant) else { return [] }
        func precedes(_ a: (Int64, ByteKey), _ b: (Int64, ByteKey)) -> Bool {
            if a.0 != b.0 { return descending ? a.0 > b.0 : a.0 < b.0 }
            return descending ? b.1.precedes(a.1) : a.1.precedes(b.1)
        }
        let start = after.map { ($0.sortKey, ByteKey($0.key)) }
        // The best `limit` so far, in order: a page is small, the rows in memory may be many.
        var best: [(sortKey: Int64, key: ByteKey, row: P.Row)] = []
        part.rows.forEachUnstored { key, slot in
            guard let row = slot.row, let sortKey = projection.sortKey(of: row) else { return }
            if let start, !precedes(start, (sortKey, key)) { return }
            if best.count == limit, let last = best.last, !precedes((sortKey, key), (last.sortKey, last.key)) { return }
            let index = best.firstIndex { precedes((sortKey, key), ($0.sortKey, $0.key)) } ?? best.endIndex
            best.insert((sortKey, key, row), at: index)
            if best.count > limit { best.removeLast() }
        }
        return try best.map { LogRowChange(key: $0.key.string, json: try encode($0.row), sortKey: $0.sortKey, tenant: tenant) }
    }

    func holds(_ key: String, tenant: Tenant) -> Bool { held(tenant)?.rows.unstoredRow(key) != nil }

    func allChanges() throws -> [LogRowChange] {
        try main.rows.committedMatches(RowQuery(.prefix(""), limit: .max)).map { try change($0.key.string, $0.slot.row) }
    }

    private func change(_ key: String, _ row: P.Row?) throws -> LogRowChange {
        guard let row else { return LogRowChange(key: key, json: nil, sortKey: nil, tenant: only ?? .default) }
        return LogRowChange(key: key, json: try encode(row), sortKey: projection.sortKey(of: row), tenant: only ?? .default)
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
