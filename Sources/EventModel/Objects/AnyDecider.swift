/// A decider with its types erased, for the engine.
///
/// A command goes through it in two steps: ``prepare(_:)`` decodes the body into the decider's
/// typed command on the caller's task (so the single writer never decodes JSON), and
/// ``decide(_:state:context:)`` runs the decider on the view's typed state in the writer.
public struct AnyDecider: Sendable {
    /// The command's name.
    public let name: String
    /// The name of the view the decider reads.
    public let viewName: String
    private let decode: @Sendable (JSONValue) -> Result<PreparedCommand, Rejection>
    private let run: @Sendable (PreparedCommand, any Sendable, DecisionContext) -> Result<[NewEvent], Rejection>

    /// Wraps `decider`.
    public init<D: Decider>(_ decider: D) {
        let name = decider.name
        self.name = name
        viewName = decider.source.name
        decode = { body in
            do {
                return .success(PreparedCommand(name: name, value: try JSONValueDecoder().decode(D.Command.self, from: body)))
            } catch let error as DecodingError {
                let problem = error.jsonProblem
                return .failure(
                    Rejection(
                        code: "INVALID_COMMAND", status: 422, message: "\(problem.pointer.isEmpty ? "the command" : problem.pointer) \(problem.message)",
                        facts: ["pointer": .string(problem.pointer)]))
            } catch {
                return .failure(Rejection(code: "INVALID_COMMAND", status: 422, message: "\(error)"))
            }
        }
        run = { command, state, context in
            guard let typedCommand = command.value as? D.Command, command.name == name else {
                return .failure(Rejection(code: "INTERNAL", status: 500, message: "the command was prepared for \(command.name), not \(name)"))
            }
            guard let typedState = state as? D.Source.State else {
                return .failure(Rejection(code: "INTERNAL", status: 500, message: "\(name) reads \(decider.source.name), which has another state type"))
            }
            return decider.decide(typedCommand, state: typedState, context: context)
        }
    }

    /// Decodes `body` into the decider's command. A body that does not decode is refused with
    /// `INVALID_COMMAND` (422) and the JSON Pointer of what is wrong.
    public func prepare(_ body: JSONValue) -> Result<PreparedCommand, Rejection> { decode(body) }

    /// Runs the decider on `state`, its view's ``AnyViewState/stateValue``.
    public func decide(_ command: PreparedCommand, state: any Sendable, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        run(command, state, context)
    }
}

/// A command decoded by ``AnyDecider/prepare(_:)``, ready for the writer.
public struct PreparedCommand: Sendable {
    /// The command's name.
    public let name: String
    let value: any Sendable
}

/// Everything the engine knows of one object type: its views, its commands, its timers and the
/// invariants its states always meet.
public struct ObjectTypeDefinition: Sendable {
    /// The object type, e.g. `inventory`.
    public let name: String
    /// Its per-object views, updated with every append. A type with a timer handler also has
    /// the engine's ``PendingTimers`` view (named `timers`), so the timers pending at any point
    /// of an object's past are known (a fork inherits them).
    public let views: [AnyProjection]
    /// Its commands by name.
    public let commands: [String: AnyDecider]
    /// What it does when one of its timers fires.
    public let timerHandler: AnyTimerHandler?
    /// What its view states must always satisfy; a merge that replays events is refused at the
    /// first event after which one does not hold.
    public let invariants: [Invariant]
    /// How many events apart its views are snapshotted (a view may set its own); nil: the
    /// store's setting.
    public let snapshotIntervalEvents: UInt64?
    /// Whether its objects' `main` changes by commands (and timers) only: appends and merges
    /// into `main` are refused (a saga's events drive other objects; on a branch anything goes).
    public let commandsOnly: Bool
    /// How long its objects keep their raw events (nil: forever); a store may be told otherwise
    /// (the server's `--retention`).
    public var retention: RetentionPolicy?

    /// A definition of `name` with `views`, `commands`, a `timerHandler` and `invariants`
    /// (`commandsOnly`: see ``commandsOnly``; `retention`: see ``retention``). View names must be distinct and not `timers`
    /// when there is a timer handler; every invariant must name one of the views.
    public init(
        name: String, views: [AnyProjection], commands: [AnyDecider] = [], timerHandler: AnyTimerHandler? = nil,
        invariants: [Invariant] = [], snapshotIntervalEvents: UInt64? = nil, commandsOnly: Bool = false, retention: RetentionPolicy? = nil
    ) {
        let allViews = timerHandler == nil ? views : views + [PendingTimers.projection]
        precondition(Set(allViews.map(\.name)).count == allViews.count, "view names of \(name) must be distinct (`timers` is the engine's)")
        precondition(invariants.allSatisfy { invariant in views.contains { $0.name == invariant.viewName } }, "every invariant of \(name) reads one of its views")
        precondition(snapshotIntervalEvents.map { $0 > 0 } ?? true, "the snapshot interval of \(name) must be positive")
        self.name = name
        self.views = allViews
        self.commands = Dictionary(uniqueKeysWithValues: commands.map { ($0.name, $0) })
        self.timerHandler = timerHandler
        self.invariants = invariants
        self.snapshotIntervalEvents = snapshotIntervalEvents
        self.commandsOnly = commandsOnly
        self.retention = retention
    }

}
