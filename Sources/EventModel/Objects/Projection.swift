/// A per-object view: a deterministic fold of an object's events into a state.
///
/// Guarantees asked of an implementation: `apply` is pure (same state and event in, same state
/// out), reads no clock but `event.timeMilliseconds`, and ignores event types it does not know.
/// The engine stores the state with the view's `version`; when the version changes, stored
/// states are rebuilt from the events.
public protocol Projection: Sendable {
    /// The state; stored as JSON, so it is `Codable`.
    associatedtype State: Codable & Sendable & Equatable

    /// The view's name in URLs (`/views/{name}`): 1-64 of `[a-z0-9_-]`.
    var name: String { get }
    /// Bumped whenever `apply` changes meaning.
    var version: Int { get }
    /// The state before any event.
    var initialState: State { get }
    /// How many events apart its states are snapshotted; nil (the default): the object type's
    /// setting, else the store's.
    var snapshotIntervalEvents: UInt64? { get }
    /// Folds one event into the state.
    func apply(_ state: inout State, _ event: RecordedEvent)
}

extension Projection {
    /// The object type's or the store's interval.
    public var snapshotIntervalEvents: UInt64? { nil }
}

/// A projection with its state type erased to JSON, for the engine.
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
    private let foldEvents: @Sendable (JSONValue?, [RecordedEvent]) throws -> JSONValue

    /// Wraps `projection`.
    public init<P: Projection>(_ projection: P) {
        name = projection.name
        version = projection.version
        eventTypes = nil
        precondition(projection.snapshotIntervalEvents.map { $0 > 0 } ?? true, "the snapshot interval of \(projection.name) must be positive")
        snapshotIntervalEvents = projection.snapshotIntervalEvents
        foldEvents = { stored, events in
            var state = try stored.map { try JSONValueDecoder().decode(P.State.self, from: $0) } ?? projection.initialState
            for event in events { projection.apply(&state, event) }
            return try JSONValueEncoder().encode(state)
        }
    }

    /// A projection whose state is JSON itself: `fold` gets the stored state (nil: the initial
    /// state) and the events, and must be as deterministic as ``Projection/apply(_:_:)``; when
    /// `eventTypes` is given, it must ignore every other type.
    public init(name: String, version: Int, eventTypes: [String]? = nil, fold: @escaping @Sendable (JSONValue?, [RecordedEvent]) -> JSONValue) {
        self.name = name
        self.version = version
        self.eventTypes = eventTypes?.map { Array($0.utf8) }
        self.snapshotIntervalEvents = nil
        foldEvents = { stored, events in fold(stored, events) }
    }

    /// Folds `events` into `stored` (nil: the initial state) and returns the new state as JSON.
    /// - Throws: when `stored` does not decode as the projection's state (a stored state written
    ///   by another version), or the state does not encode.
    public func fold(_ stored: JSONValue?, _ events: [RecordedEvent]) throws -> JSONValue {
        try foldEvents(stored, events)
    }

    /// The state JSON after folding `events` from the initial state.
    public func initial(_ events: [RecordedEvent] = []) throws -> JSONValue { try foldEvents(nil, events) }
}
