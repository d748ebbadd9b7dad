/// A per-object view, as the engine folds it: a small typed *summary* and, for a keyed view,
/// *rows* kept one by one under string keys (a SKU's orders, a building's buckets, a document's
/// blocks), so a write touches only the rows it changes and a read takes only the rows it asks
/// for.
///
/// Write views as a ``Projection`` (one state, no rows) or a ``KeyedProjection`` (a summary and
/// rows); both give this protocol its engine-facing requirements.
///
/// Guarantees asked of an implementation: folding is pure (same summary, rows and event in, same
/// summary and rows out), reads no clock but `event.timeMilliseconds`, and ignores event types
/// it does not know. The engine stores states with the view's `version`; when the version
/// changes, stored states are rebuilt from the events.
public protocol ViewProjection: Sendable {
    /// The part kept whole: the entire state of a ``Projection``, the totals of a keyed view.
    associatedtype Summary: Codable & Sendable & Equatable
    /// One row of a keyed view (``NoRow`` for a view without rows).
    associatedtype Row: Codable & Sendable & Equatable
    /// What deciders, timer handlers and invariants read: the state of a ``Projection``, a
    /// ``KeyedState`` for a keyed view.
    associatedtype State: Sendable

    /// The view's name in URLs (`/views/{name}`): 1-64 of `[a-z0-9_-]`.
    var name: String { get }
    /// Bumped whenever folding changes meaning.
    var version: Int { get }
    /// The summary before any event.
    var initialSummary: Summary { get }
    /// How many events apart its states are checkpointed (and so snapshotted); nil (the
    /// default): the object type's setting, else the store's.
    var snapshotIntervalEvents: UInt64? { get }
    /// The event types it reads; nil (the default): every type. The engine skips the others
    /// without parsing their data.
    var eventTypes: [String]? { get }

    /// Folds one event into the summary and rows.
    func fold(_ summary: inout Summary, _ rows: Rows<Row>, _ event: RecordedEvent)
    /// What deciders see of `summary` and `rows`.
    func state(_ summary: Summary, _ rows: RowReader<Row>) -> State
    /// Answers a read of the view's own (a building's `?sensor=&resolution=&from=&to=`) from the
    /// summary and rows: nil when `parameters` are not one of its reads, a rejection (400, with
    /// the parameter in `field`) when they are but are wrong.
    func read(_ parameters: [String: String], summary: Summary, rows: RowReader<Row>) -> Result<JSONValue, Rejection>?
}

extension ViewProjection {
    /// The object type's or the store's interval.
    public var snapshotIntervalEvents: UInt64? { nil }
    /// Every event type.
    public var eventTypes: [String]? { nil }
    /// No reads of its own.
    public func read(_ parameters: [String: String], summary: Summary, rows: RowReader<Row>) -> Result<JSONValue, Rejection>? { nil }
}

/// A view with one state and no rows: its whole state is the summary, folded event by event.
public protocol Projection: ViewProjection where Summary == State, Row == NoRow {
    /// The state before any event.
    var initialState: State { get }
    /// Folds one event into the state.
    func apply(_ state: inout State, _ event: RecordedEvent)
}

extension Projection {
    public var initialSummary: State { initialState }

    public func fold(_ summary: inout State, _ rows: Rows<NoRow>, _ event: RecordedEvent) { apply(&summary, event) }

    public func state(_ summary: State, _ rows: RowReader<NoRow>) -> State { summary }
}

/// A view whose large collections are rows: a summary folded like a ``Projection``'s state,
/// and rows read and written by key as events come. Deciders read a ``KeyedState``.
public protocol KeyedProjection: ViewProjection where State == KeyedState<Summary, Row> {
    /// Folds one event into the summary and the rows.
    func apply(_ summary: inout Summary, _ rows: Rows<Row>, _ event: RecordedEvent)
}

extension KeyedProjection {
    public func fold(_ summary: inout Summary, _ rows: Rows<Row>, _ event: RecordedEvent) { apply(&summary, rows, event) }

    public func state(_ summary: Summary, _ rows: RowReader<Row>) -> KeyedState<Summary, Row> { KeyedState(summary: summary, rows: rows) }
}

/// What a keyed view's deciders, timer handlers and invariants read: its summary (whose members
/// read as the state's own, `state.available`) and its rows by key.
@dynamicMemberLookup
public struct KeyedState<Summary: Sendable, Row: Sendable>: Sendable {
    /// The summary.
    public let summary: Summary
    /// The rows.
    public let rows: RowReader<Row>

    /// The state made of `summary` and `rows`.
    public init(summary: Summary, rows: RowReader<Row>) {
        self.summary = summary
        self.rows = rows
    }

    /// A member of the summary.
    public subscript<Value>(dynamicMember member: KeyPath<Summary, Value>) -> Value { summary[keyPath: member] }
}

/// The row type of a view without rows: there is no such row.
public enum NoRow: Codable, Sendable, Equatable {
    public init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a view without rows has no row"))
    }

    public func encode(to encoder: any Encoder) throws {}
}
