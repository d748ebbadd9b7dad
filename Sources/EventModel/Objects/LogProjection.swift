/// An event of the global log as a cross-object view sees it: the event, its object and branch,
/// and its position.
public struct LogEvent: Sendable {
    /// The object the event belongs to.
    public let object: ObjectKey
    /// Its branch.
    public let branch: BranchName
    /// Its position in the global log.
    public let position: Position
    /// The event.
    public let event: RecordedEvent

    /// An event of the log.
    public init(object: ObjectKey, branch: BranchName, position: Position, event: RecordedEvent) {
        self.object = object
        self.branch = branch
        self.position = position
        self.event = event
    }
}

/// A view over the global log, across objects (stock totals across every SKU, active alerts
/// across every building): a deterministic fold of every committed event in position order.
/// The engine stores its state with the position it reflects, both in one transaction, so each
/// event is folded exactly once, and catches up after restarts.
public protocol LogProjection: Sendable {
    /// The state; stored as JSON.
    associatedtype State: Codable & Sendable & Equatable
    /// The view's name in URLs (`/v1/views/{name}`).
    var name: String { get }
    /// Bumped whenever `apply` changes meaning (the view is then folded again from the start).
    var version: Int { get }
    /// The state before any event.
    var initialState: State { get }
    /// The object types it reads; nil: every type. Events of others are skipped unparsed.
    var objectTypes: [String]? { get }
    /// Folds one event into the state.
    func apply(_ state: inout State, _ event: LogEvent)
}

/// A cross-object view with its state type erased, for the engine.
public struct AnyLogProjection: Sendable {
    /// The view's name.
    public let name: String
    /// The view's version.
    public let version: Int
    /// The object types it reads, as UTF-8; nil: every type.
    public let objectTypes: [[UInt8]]?
    private let makeState: @Sendable (JSONValue?) throws -> LogViewState

    /// Wraps `projection`.
    public init<P: LogProjection>(_ projection: P) {
        name = projection.name
        version = projection.version
        objectTypes = projection.objectTypes?.map { Array($0.utf8) }
        makeState = { stored in
            let box = StateBox(try stored.map { try JSONValueDecoder().decode(P.State.self, from: $0) } ?? projection.initialState)
            return LogViewState(
                fold: { events in for event in events { projection.apply(&box.value, event) } },
                json: { try JSONValueEncoder().encode(box.value) })
        }
    }

    /// The typed state `stored` decodes to (nil: the initial state), to fold events into.
    /// - Throws: when `stored` does not decode as the view's state.
    public func state(from stored: JSONValue?) throws -> LogViewState { try makeState(stored) }

    /// Folds `events` into `stored` (nil: the initial state).
    public func fold(_ stored: JSONValue?, _ events: [LogEvent]) throws -> JSONValue {
        let state = try makeState(stored)
        state.fold(events)
        return try state.json()
    }
}

/// A cross-object view's typed state, kept between folds (its type erased): folding events into
/// it changes it in place, whatever its size; only ``json()`` costs the whole state.
///
/// Not synchronized: one caller at a time.
public final class LogViewState: @unchecked Sendable {
    private let foldEvents: ([LogEvent]) -> Void
    private let encode: () throws -> JSONValue

    init(fold: @escaping ([LogEvent]) -> Void, json: @escaping () throws -> JSONValue) {
        foldEvents = fold
        encode = json
    }

    /// Folds `events`, in order.
    public func fold(_ events: [LogEvent]) { foldEvents(events) }

    /// The state as JSON.
    /// - Throws: when it holds a number JSON cannot (a reducer's bug).
    public func json() throws -> JSONValue { try encode() }
}

/// A value changed in place by the closures that share it.
private final class StateBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
