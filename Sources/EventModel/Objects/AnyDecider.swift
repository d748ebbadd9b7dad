/// A decider with its types erased to JSON, for the engine.
public struct AnyDecider: Sendable {
    /// The command's name.
    public let name: String
    /// The name of the view the decider reads.
    public let viewName: String
    private let run: @Sendable (JSONValue, JSONValue, DecisionContext) -> Result<[NewEvent], Rejection>

    /// Wraps `decider`.
    public init<D: Decider>(_ decider: D) {
        name = decider.name
        viewName = decider.source.name
        run = { command, state, context in
            let typedCommand: D.Command
            do {
                typedCommand = try JSONValueDecoder().decode(D.Command.self, from: command)
            } catch let error as DecodingError {
                let problem = error.jsonProblem
                return .failure(
                    Rejection(
                        code: "INVALID_COMMAND", status: 422, message: "\(problem.pointer.isEmpty ? "the command" : problem.pointer) \(problem.message)",
                        facts: ["pointer": .string(problem.pointer)]))
            } catch {
                return .failure(Rejection(code: "INVALID_COMMAND", status: 422, message: "\(error)"))
            }
            let typedState: D.Source.State
            do {
                typedState = try JSONValueDecoder().decode(D.Source.State.self, from: state)
            } catch {
                return .failure(Rejection(code: "STATE_UNREADABLE", status: 500, message: "the stored \(decider.source.name) view does not decode: \(error)"))
            }
            return decider.decide(typedCommand, state: typedState, context: context)
        }
    }

    /// Decodes `command` and runs the decider on `state` (the JSON of its view's state).
    /// A command that does not decode is refused with `INVALID_COMMAND` (422) and its pointer.
    public func decide(_ command: JSONValue, state: JSONValue, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        run(command, state, context)
    }
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

    /// A definition of `name` with `views`, `commands`, a `timerHandler` and `invariants`.
    /// View names must be distinct and not `timers` when there is a timer handler; every
    /// invariant must name one of the views.
    public init(
        name: String, views: [AnyProjection], commands: [AnyDecider] = [], timerHandler: AnyTimerHandler? = nil,
        invariants: [Invariant] = [], snapshotIntervalEvents: UInt64? = nil
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
    }
}
