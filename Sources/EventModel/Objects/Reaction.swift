/// A command a reaction sends to another object (of the triggering event's tenant): sent once
/// per triggering event, whatever crashes, and refused commands become facts (see ``Reaction``).
public struct ReactionCommand: Sendable, Equatable {
    /// The object, `type/id`.
    public let object: String
    /// The command's name.
    public let command: String
    /// Its body.
    public let body: JSONValue
    /// The metadata of the events it causes (the engine adds `reaction`, the reaction's name,
    /// and `causedBy`, the triggering event's id).
    public let metadata: [String: JSONValue]

    /// A command to `object` (`type/id`), whose events carry `metadata`.
    public init(object: String, command: String, body: JSONValue, metadata: [String: JSONValue] = [:]) {
        self.object = object
        self.command = command
        self.body = body
        self.metadata = metadata
    }
}

/// Objects driving other objects: a deterministic function of events, of any object type, to
/// the commands they cause. The engine runs a reaction from the global log, in position order,
/// and stores how far it went in the same transaction as the commands' effects, so each
/// triggering event causes its commands exactly once, across crashes. A command that is refused
/// is recorded as a `CommandRefused` event of the object `reaction/NAME` (of the event's tenant),
/// which a reaction may react to in turn; never dropped in silence.
///
/// It sees the events of `main` branches only: what happens on a what-if branch stays there.
/// The events its commands cause carry the metadata `reaction` (its name) and `causedBy` (the
/// triggering event's id), so it can tell the outcomes of its own commands from others'.
public protocol Reaction: Sendable {
    /// Its name: lowercase letters, digits and `-`.
    var name: String { get }
    /// The event types it reacts to (of any object type); the others are passed over unparsed.
    var eventTypes: [String] { get }
    /// The commands `event` causes (none: nothing). Deterministic: it sees the event only.
    func react(to event: LogEvent) -> [ReactionCommand]
}

/// A reaction with its type erased, for the engine.
public struct AnyReaction: Sendable {
    /// Its name.
    public let name: String
    /// The event types it reacts to, as UTF-8.
    public let eventTypes: [[UInt8]]
    private let body: @Sendable (LogEvent) -> [ReactionCommand]

    /// Wraps `reaction`.
    public init(_ reaction: some Reaction) {
        precondition(Self.isValidName(reaction.name), "a reaction's name is lowercase letters, digits and -: \(reaction.name)")
        name = reaction.name
        eventTypes = reaction.eventTypes.map { Array($0.utf8) }
        body = { reaction.react(to: $0) }
    }

    /// Whether `name` can be a reaction's: lowercase letters, digits and `-`, at least one.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// The commands `event` causes.
    public func react(to event: LogEvent) -> [ReactionCommand] { body(event) }

    /// The event type of the facts a refused command leaves on `reaction/NAME`.
    public static let refusedEventType = "CommandRefused"
    /// The object type of those facts.
    public static let objectType = "reaction"
}
