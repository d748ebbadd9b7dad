/// One object of a type held wholly in memory: every view folded as events come, commands
/// decided and timers fired on the current states, as the engine's writer does, without the
/// engine. For tests, tools and reference models.
public final class MemoryObject {
    /// The object's type.
    public let definition: ObjectTypeDefinition
    private var states: [String: any AnyViewState]

    /// An object with no events.
    public init(_ definition: ObjectTypeDefinition) {
        self.definition = definition
        states = Dictionary(uniqueKeysWithValues: definition.views.map { view in (view.name, try! view.memoryState()) })
    }

    /// Folds `events` into every view.
    public func apply(_ events: [RecordedEvent]) {
        for state in states.values { state.fold(events) }
    }

    /// Runs the command `name` with `body` on the current state of its decider's view; nothing is
    /// folded (append what it decides with ``apply(_:)``).
    public func decide(_ name: String, _ body: JSONValue, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard let decider = definition.commands[name] else {
            return .failure(Rejection(code: "UNKNOWN_COMMAND", status: 404, message: "\(definition.name) has no command \(name)"))
        }
        switch decider.prepare(body) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let command): return decider.decide(command, state: states[decider.viewName]!.stateValue, context: context)
        }
    }

    /// The events the type's timer handler decides for `timerId` firing with `payload` (none
    /// when the type has no handler); nothing is folded.
    public func fire(timerId: String, payload: JSONValue, context: DecisionContext) -> [NewEvent] {
        guard let handler = definition.timerHandler else { return [] }
        return handler.fire(timerId: timerId, payload: payload, state: states[handler.viewName]!.stateValue, context: context)
    }

    /// The whole view `name` as JSON.
    public func view(_ name: String) -> MaterializedView {
        guard let state = states[name] else { preconditionFailure("\(definition.name) has no view \(name)") }
        return try! state.materialized()
    }

    /// What the view `name`'s deciders read: its state, or for a keyed view its ``KeyedState``.
    public func state<State>(_ name: String, as type: State.Type = State.self) -> State {
        guard let state = states[name]?.stateValue as? State else { preconditionFailure("\(definition.name) has no view \(name) of state \(State.self)") }
        return state
    }

    /// The first invariant of the type that the current states break, if any.
    public var brokenInvariant: Invariant? {
        definition.invariants.first { !$0.holds(states[$0.viewName]!.stateValue) }
    }
}
