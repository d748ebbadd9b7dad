import EventModel

/// A command for an object's decider: the writer runs the object type's decider named `name`
/// on the object's current state and appends the events it decides, atomically.
public struct CommandRequest: Sendable {
    /// The object and branch the command is for.
    public let stream: StreamName
    /// What the branch's head must be when the decider runs.
    public let expectedVersion: ExpectedVersion
    /// The command's name (the decider's).
    public let name: String
    /// The command's body, as the decider decodes it.
    public let body: JSONValue
    /// The client's key for this request: a request with the same key is answered as this one
    /// was, and writes nothing.
    public let idempotencyKey: IdempotencyKey?
    /// Whether the answer carries the state of the view the decider read, after the command.
    public let includeState: Bool
    /// The metadata every event it decides is stored with: a compact JSON object, or empty for
    /// none (cross-object views read it: the customer of an order).
    public let metadata: [UInt8]
    /// The body decoded into the decider's command (on the caller's task, never by the writer).
    var prepared: PreparedCommand?
    /// The reaction sending it (nil: a client): what its decider is told.
    var reaction: String?
    /// The body's size, estimated when it is prepared: what the writer's queue weighs it by.
    var weight = 0

    /// A request to run the command `name` with `body` on `stream`; with `includeState`, the
    /// answer carries the decider's view after it; its events carry `metadata` (a JSON object).
    public init(
        stream: StreamName, expectedVersion: ExpectedVersion = .any, command name: String, body: JSONValue, idempotencyKey: IdempotencyKey? = nil,
        includeState: Bool = false, metadata: [String: JSONValue] = [:]
    ) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.name = name
        self.body = body
        self.idempotencyKey = idempotencyKey
        self.includeState = includeState
        if metadata.isEmpty {
            self.metadata = []
        } else {
            var writer = JSONWriter()
            writer.value(.object(metadata))
            self.metadata = writer.bytes
        }
    }
}
