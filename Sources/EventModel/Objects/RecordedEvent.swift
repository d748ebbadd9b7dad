/// An event as reducers and deciders see it: what was appended and when it committed.
///
/// `timeMilliseconds` (the commit time) is the only clock a reducer may read, so folding the
/// same events always gives the same state.
public struct RecordedEvent: Sendable, Equatable {
    /// The seq within its object branch.
    public let seq: Seq
    /// The event id.
    public let id: EventID
    /// The event type, e.g. `Restocked`.
    public let type: String
    /// The event's data.
    public let data: JSONValue
    /// Commit time, ms since the epoch.
    public let timeMilliseconds: Int64

    /// An event as committed.
    public init(seq: Seq, id: EventID, type: String, data: JSONValue, timeMilliseconds: Int64) {
        self.seq = seq
        self.id = id
        self.type = type
        self.data = data
        self.timeMilliseconds = timeMilliseconds
    }

    /// The data decoded as `T`, or nil when it does not decode (a reducer skips what it does not
    /// understand rather than crash the writer).
    public func decode<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONValueDecoder().decode(type, from: data)
    }
}

/// An event a decider wants appended.
public struct NewEvent: Sendable, Equatable {
    /// The event type.
    public let type: String
    /// The event's data (a JSON object).
    public let data: JSONValue

    /// An event of `type` carrying `data`.
    public init(type: String, data: JSONValue) {
        self.type = type
        self.data = data
    }

    /// An event of `type` whose data is `payload` encoded.
    /// - Throws: ``JSONValueEncodingError`` when the payload cannot be encoded (a programming error
    ///   in the decider).
    public init(type: String, payload: some Encodable) throws(JSONValueEncodingError) {
        self.init(type: type, data: try JSONValueEncoder().encode(payload))
    }
}
