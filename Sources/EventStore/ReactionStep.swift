import EventModel

/// What a reaction's run over a stretch of the log causes, for the writer to apply in one
/// transaction with the reaction's new position: each command as prepared (or refused before it
/// could be), with the event that caused it.
struct ReactionStep: Sendable {
    /// One command caused by one event.
    struct Effect: Sendable {
        /// The tenant, id and position of the event that caused it.
        let tenant: Tenant
        let trigger: EventID
        let position: Position
        /// The command as the reaction sent it.
        let command: ReactionCommand
        /// The command, prepared; or why it could not be (an unknown object or command, a body
        /// its decider refuses), which is a fact like a refusal by the decider.
        let request: Result<CommandRequest, Rejection>
    }

    let reaction: String
    /// The reaction's stored position when the stretch was read: the writer applies the step
    /// only while it still is.
    let stored: Position
    /// The position the stretch starts after (the stored one, or past it over positions that
    /// caused nothing).
    let from: Position
    /// The last position looked at: the reaction's position once the step is applied.
    let through: Position
    let effects: [Effect]
}

/// What a reaction's step did.
public struct ReactionOutcome: Sendable, Equatable {
    /// Commands applied.
    public let sent: Int
    /// Commands refused (each a `CommandRefused` event of `reaction/NAME`).
    public let refused: Int
    /// The reaction's position now.
    public let through: Position
}

/// Where a reaction stands (``EventStore/reactionStatuses(tenant:refusalsMax:)``).
public struct ReactionStatus: Sendable {
    /// Its name.
    public let name: String
    /// The event types it reacts to.
    public let eventTypes: [String]
    /// The log position it has run through.
    public let position: Position
    /// Committed positions it has not run over yet.
    public let lag: UInt64
    /// Whether it is paused.
    public let paused: Bool
    /// The commands of it refused, ever, in the tenant asked about.
    public let refusals: Seq
    /// The last of them (`CommandRefused` events), newest first.
    public let lastRefusals: [RecordedEvent]
}
