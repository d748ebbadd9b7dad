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

/// Everything the engine knows of one object type: its views and its commands.
public struct ObjectTypeDefinition: Sendable {
    /// The object type, e.g. `inventory`.
    public let name: String
    /// Its per-object views, updated with every append.
    public let views: [AnyProjection]
    /// Its commands by name.
    public let commands: [String: AnyDecider]
    /// What it does when one of its timers fires.
    public let timerHandler: AnyTimerHandler?

    /// A definition of `name` with `views`, `commands` and a `timerHandler`.
    public init(name: String, views: [AnyProjection], commands: [AnyDecider] = [], timerHandler: AnyTimerHandler? = nil) {
        self.name = name
        self.views = views
        self.commands = Dictionary(uniqueKeysWithValues: commands.map { ($0.name, $0) })
        self.timerHandler = timerHandler
    }
}
