/// Why a decider refused a command: a stable code clients match on, a status (409 for a
/// conflict with the object's state now, 422 for a command that can never succeed as sent, 404
/// for a command naming something the object does not have), and the facts that explain it
/// (e.g. the quantity available).
public struct Rejection: Error, Sendable, Equatable {
    /// A stable code such as `INSUFFICIENT_STOCK`.
    public let code: String
    /// The HTTP status the refusal answers with: 409, 422 or 404 (500 only for a decider's own bug).
    public let status: Int
    /// What happened, for a person.
    public let message: String
    /// The facts behind the refusal, as a JSON object.
    public let facts: [String: JSONValue]

    /// A refusal with `code`, `status`, `message` and `facts`.
    public init(code: String, status: Int = 409, message: String, facts: [String: JSONValue] = [:]) {
        self.code = code
        self.status = status
        self.message = message
        self.facts = facts
    }
}

/// What a decider may know besides the object's state: the time (the writer's clock, injected),
/// for deadlines it writes into events; the branch decided on; and the reaction that sent the
/// command, if one did (a saga's own steps are refused from anyone else on `main`).
public struct DecisionContext: Sendable {
    /// Now, ms since the epoch, from the engine's clock.
    public let nowMilliseconds: Int64
    /// The branch the command is for.
    public let branch: BranchName
    /// The reaction that sent the command; nil: a client (or a timer).
    public let reaction: String?

    /// A context at `nowMilliseconds` on `branch`, for a command sent by `reaction` (nil: a client).
    public init(nowMilliseconds: Int64, branch: BranchName = .main, reaction: String? = nil) {
        self.nowMilliseconds = nowMilliseconds
        self.branch = branch
        self.reaction = reaction
    }
}

/// Turns a command into events, or refuses it, from the object's current state. The object's
/// single writer runs it, so no other append can slip in between the decision and its events:
/// invariants checked here hold under any concurrency.
public protocol Decider: Sendable {
    /// The command's body.
    associatedtype Command: Decodable & Sendable
    /// The view whose state the decider reads.
    associatedtype Source: ViewProjection

    /// The command's name in URLs (`/commands/{name}`).
    var name: String { get }
    /// The projection it decides on.
    var source: Source { get }
    /// The events for `command`, or why not.
    func decide(_ command: Command, state: Source.State, context: DecisionContext) -> Result<[NewEvent], Rejection>
}
