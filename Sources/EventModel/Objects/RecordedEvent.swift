/// An event as reducers and deciders see it: what was appended and when it committed.
///
/// `timeMilliseconds` (the commit time) is the only clock a reducer may read, so folding the
/// same events always gives the same state.
///
/// An event a decider made from a typed payload keeps that payload: ``decode(_:)`` hands it back
/// without touching JSON, so the writer folds what it decided without parsing it again. Its
/// ``data`` tree is parsed from the stored text only when someone asks for it.
public struct RecordedEvent: Sendable, Equatable {
    /// The seq within its object branch.
    public let seq: Seq
    /// The event id.
    public let id: EventID
    /// The event type, e.g. `Restocked`.
    public let type: String
    /// Commit time, ms since the epoch.
    public let timeMilliseconds: Int64
    let body: EventBody

    /// An event as committed, with its data as a tree.
    public init(seq: Seq, id: EventID, type: String, data: JSONValue, timeMilliseconds: Int64) {
        self.init(seq: seq, id: id, type: type, body: .tree(data), timeMilliseconds: timeMilliseconds)
    }

    /// A decided event as committed: its data is `event`'s (typed, when it was made from a payload).
    public init(seq: Seq, id: EventID, decided event: NewEvent, timeMilliseconds: Int64) {
        self.init(seq: seq, id: id, type: event.type, body: event.body, timeMilliseconds: timeMilliseconds)
    }

    init(seq: Seq, id: EventID, type: String, body: EventBody, timeMilliseconds: Int64) {
        self.seq = seq
        self.id = id
        self.type = type
        self.body = body
        self.timeMilliseconds = timeMilliseconds
    }

    /// The event's data (a JSON object).
    public var data: JSONValue { body.tree }

    /// The data as compact JSON, when the event was decided (nil for one read as a tree).
    public var decidedJSON: [UInt8]? { body.json }

    /// The data decoded as `T` (the decider's own payload when it is a `T`), or nil when it does
    /// not decode: a reducer skips what it does not understand rather than crash the writer.
    public func decode<T: Decodable>(_ type: T.Type) -> T? {
        if case .decided(let payload?, _) = body, let typed = payload as? T { return typed }
        return try? JSONValueDecoder().decode(type, from: body.tree)
    }

    public static func == (lhs: RecordedEvent, rhs: RecordedEvent) -> Bool {
        lhs.seq == rhs.seq && lhs.id == rhs.id && lhs.type == rhs.type && lhs.timeMilliseconds == rhs.timeMilliseconds && lhs.data == rhs.data
    }
}

/// An event's data: a tree (appended, or read back), or what a decider made: its JSON, and the
/// typed payload (or the tree) it was written from.
enum EventBody: Sendable {
    case tree(JSONValue)
    case decided(payload: (any Sendable)?, json: [UInt8])

    var tree: JSONValue {
        switch self {
        case .tree(let tree): return tree
        case .decided(let payload, let json):
            if let tree = payload as? JSONValue { return tree }
            return (try? json.withUnsafeBytes { try JSONValue(parsing: $0) }) ?? [:]
        }
    }

    var json: [UInt8]? {
        if case .decided(_, let json) = self { return json }
        return nil
    }
}

/// An event a decider wants appended.
public struct NewEvent: Sendable, Equatable {
    /// The event type.
    public let type: String
    let body: EventBody

    /// An event of `type` carrying `data` (a JSON object).
    public init(type: String, data: JSONValue) {
        var writer = JSONWriter(capacity: 128)
        writer.value(data)
        self.type = type
        body = .decided(payload: data, json: writer.bytes)
    }

    /// An event of `type` whose data is `payload` encoded. Reducers that decode the event as the
    /// payload's type get the payload itself back, without parsing.
    /// - Throws: ``JSONValueEncodingError`` when the payload cannot be encoded (a programming error
    ///   in the decider).
    public init<Payload: Encodable & Sendable>(type: String, payload: Payload) throws(JSONValueEncodingError) {
        self.type = type
        body = .decided(payload: payload, json: try JSONBytesEncoder().encode(payload))
    }

    /// The event's data as a tree.
    public var data: JSONValue { body.tree }

    /// The event's data as compact JSON: what is stored.
    public var json: [UInt8] { body.json ?? [] }

    public static func == (lhs: NewEvent, rhs: NewEvent) -> Bool {
        lhs.type == rhs.type && lhs.data == rhs.data
    }
}
