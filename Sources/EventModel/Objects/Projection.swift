/// A per-object view with its types erased, for the engine: its name, version and settings, and
/// the projection itself, which the engine opens to keep typed states.
public struct AnyProjection: Sendable {
    /// The view's name.
    public let name: String
    /// The view's version.
    public let version: Int
    /// The event types the view reads, as UTF-8; nil: every type. Folds skip the others
    /// without parsing their data.
    public let eventTypes: [[UInt8]]?
    /// The view's own snapshot interval, if it has one.
    public let snapshotIntervalEvents: UInt64?
    /// Whether the view keeps rows (a ``KeyedProjection``).
    public let isKeyed: Bool
    /// The projection.
    public let projection: any ViewProjection
    /// The writer's work on this view's live rows, specialized for its row type.
    public let liveRows: LiveRowsOperations

    /// Wraps `projection`. Inlined where the projection's type is known, so the work the engine
    /// does on its rows for every batch runs as code specialized for its row type.
    @inlinable
    public init<P: ViewProjection>(_ projection: P) {
        precondition(projection.snapshotIntervalEvents.map { $0 > 0 } ?? true, "the snapshot interval of \(projection.name) must be positive")
        name = projection.name
        version = projection.version
        eventTypes = projection.eventTypes?.map { Array($0.utf8) }
        snapshotIntervalEvents = projection.snapshotIntervalEvents
        isKeyed = P.Row.self != NoRow.self
        self.projection = projection
        liveRows = LiveRowsOperations(LiveRows<P.Row>.self)
    }

    /// A typed state of this view, folded from `start` (nil: the initial state) into rows kept
    /// in memory.
    /// - Throws: when `start` does not decode as the view's summary and rows.
    public func memoryState(from start: MaterializedView? = nil) throws -> any AnyViewState {
        try Self.memoryState(projection, from: start)
    }

    private static func memoryState<P: ViewProjection>(_ projection: P, from start: MaterializedView?) throws -> any AnyViewState {
        guard let start else { return ViewState(projection, storage: MemoryRows<P.Row>()) }
        let decoder = JSONValueDecoder()
        let summary = try decoder.decode(P.Summary.self, from: start.summary)
        let rows = try start.rows.mapValues { try decoder.decode(P.Row.self, from: $0) }
        return ViewState(projection, summary: summary, storage: MemoryRows(rows))
    }

    /// Whether `parameters` are one of the view's own reads (``ViewProjection/read(_:summary:rows:)``).
    public func hasRead(for parameters: [String: String]) -> Bool {
        func probe<P: ViewProjection>(_ projection: P) -> Bool {
            projection.read(parameters, summary: projection.initialSummary, rows: .none) != nil
        }
        return probe(projection)
    }

    /// The whole view after folding `events` onto `start` (nil: the initial state), in memory:
    /// what tests, tools and `verify` compare stored states with.
    /// - Throws: when `start` does not decode, or the state does not encode.
    public func materialize(_ events: [RecordedEvent], from start: MaterializedView? = nil) throws -> MaterializedView {
        let state = try memoryState(from: start)
        state.fold(events)
        return try state.materialized()
    }
}

/// A whole view as JSON: its summary and, for a keyed view, every row by key.
public struct MaterializedView: Sendable, Equatable {
    /// The summary (a ``Projection``'s whole state).
    public var summary: JSONValue
    /// The rows by key; empty for a view without rows.
    public var rows: [String: JSONValue]

    /// A view of `summary` and `rows`.
    public init(summary: JSONValue, rows: [String: JSONValue] = [:]) {
        self.summary = summary
        self.rows = rows
    }

    /// The view as one JSON document, what a JSON Pointer or a JSON Patch addresses: the
    /// summary, with the rows (if any) under its member `rows`.
    public var document: JSONValue {
        guard !rows.isEmpty, case .object(var members) = summary else { return summary }
        members["rows"] = .object(rows)
        return .object(members)
    }
}

/// A view's typed state with its types erased: folded event by event, read by deciders,
/// turned into JSON.
public protocol AnyViewState: AnyObject {
    /// Folds `events` in order (skipping types the view does not read).
    func fold(_ events: some Sequence<RecordedEvent>)
    /// What deciders read (the projection's `State`).
    var stateValue: any Sendable { get }
    /// The summary and every row as JSON.
    func materialized() throws -> MaterializedView
    /// The view's own read of `parameters` on this state (nil when it is not one of its reads).
    func read(_ parameters: [String: String]) -> Result<JSONValue, Rejection>?
    /// The summary as JSON.
    func summaryValue() throws -> JSONValue
    /// The rows changed since it was last called, as JSON (null: removed), for a state whose
    /// rows are in memory (``AnyProjection/memoryState(from:)``); empty otherwise.
    func takeChangedRows() throws -> [String: JSONValue]
}

/// A view's typed state: the summary, and the rows in a ``RowStorage``.
public final class ViewState<P: ViewProjection>: AnyViewState, @unchecked Sendable {
    /// The projection.
    public let projection: P
    /// The summary.
    public var summary: P.Summary
    /// Where the rows are.
    public let storage: any RowStorage<P.Row>
    private let eventTypes: Set<String>?

    /// The state of `projection` with `summary` (nil: its initial one) and the rows in `storage`.
    public init(_ projection: P, summary: P.Summary? = nil, storage: any RowStorage<P.Row>) {
        self.projection = projection
        self.summary = summary ?? projection.initialSummary
        self.storage = storage
        eventTypes = projection.eventTypes.map(Set.init)
    }

    public func fold(_ events: some Sequence<RecordedEvent>) {
        for event in events {
            if let eventTypes, !eventTypes.contains(event.type) { continue }
            projection.fold(&summary, Rows(storage, seq: event.seq), event)
        }
    }

    /// What deciders read.
    public var state: P.State { projection.state(summary, RowReader(storage)) }

    public var stateValue: any Sendable { state }

    public func read(_ parameters: [String: String]) -> Result<JSONValue, Rejection>? {
        projection.read(parameters, summary: summary, rows: RowReader(storage))
    }

    public func summaryValue() throws -> JSONValue { try JSONValueEncoder().encode(summary) }

    public func takeChangedRows() throws -> [String: JSONValue] {
        guard let memory = storage as? MemoryRows<P.Row> else { return [:] }
        var rows: [String: JSONValue] = [:]
        for key in memory.takeChanged() { rows[key] = try memory.row(key).map { try JSONValueEncoder().encode($0) } ?? .null }
        return rows
    }

    public func materialized() throws -> MaterializedView {
        let encoder = JSONValueEncoder()
        var rows: [String: JSONValue] = [:]
        if let memory = storage as? MemoryRows<P.Row> {
            for (key, row) in memory.rows { rows[key.string] = try encoder.encode(row) }
        }
        return MaterializedView(summary: try encoder.encode(summary), rows: rows)
    }
}
