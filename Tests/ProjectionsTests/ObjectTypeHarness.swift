import EventModel

/// Drives an object type the way the engine's writer does, without the engine: a command is
/// decided on the JSON state of the view its decider reads, its events are recorded at `now`
/// and folded into every view, and timers are kept pending, fired and cancelled from the
/// timer events, as the engine keeps them.
struct ObjectTypeHarness {
    let definition: ObjectTypeDefinition
    /// The writer's clock: the decision time and the commit time of what is appended.
    var now: Int64
    /// Each view's state, by view name.
    private(set) var views: [String: JSONValue]
    /// Everything appended, in order.
    private(set) var events: [RecordedEvent] = []
    /// The pending timers by id.
    private(set) var timers: [String: (dueAt: Int64, payload: JSONValue)] = [:]

    init(_ definition: ObjectTypeDefinition, now: Int64 = 1_700_000_000_000) {
        self.definition = definition
        self.now = now
        views = Dictionary(uniqueKeysWithValues: definition.views.map { view in (view.name, try! view.initial()) })
    }

    /// Runs the command `name` with `body`; its events, if any, are appended.
    @discardableResult
    mutating func run(_ name: String, _ body: JSONValue) -> Result<[NewEvent], Rejection> {
        guard let decider = definition.commands[name] else { preconditionFailure("\(definition.name) has no command \(name)") }
        let result = decider.decide(body, state: views[decider.viewName]!, context: DecisionContext(nowMilliseconds: now))
        if case .success(let decided) = result { append(decided) }
        return result
    }

    /// Fires `timerId` now, if it is pending: appends `TimerFired` and the handler's events,
    /// and returns the handler's events.
    @discardableResult
    mutating func fire(_ timerId: String) -> [NewEvent] {
        guard let pending = timers[timerId], let handler = definition.timerHandler else { return [] }
        let decided = handler.fire(
            timerId: timerId, payload: pending.payload, state: views[handler.viewName]!, context: DecisionContext(nowMilliseconds: now))
        append([NewEvent(type: TimerEventType.fired, data: ["timerId": .string(timerId)])] + decided)
        return decided
    }

    /// Moves the clock to `time`, firing every timer due by then, in due order (then id order),
    /// each at its due time.
    mutating func advance(to time: Int64) {
        while let (timerId, pending) = timers.filter({ $0.value.dueAt <= time }).min(by: { ($0.value.dueAt, $0.key) < ($1.value.dueAt, $1.key) }) {
            now = max(now, pending.dueAt)
            fire(timerId)
        }
        now = max(now, time)
    }

    /// The state of `view`, decoded.
    func state<State: Decodable>(_ view: String, as type: State.Type = State.self) -> State {
        try! JSONValueDecoder().decode(State.self, from: views[view]!)
    }

    private mutating func append(_ decided: [NewEvent]) {
        guard !decided.isEmpty else { return }
        var recorded: [RecordedEvent] = []
        for event in decided {
            let seq = Seq(events.count + recorded.count + 1)
            recorded.append(RecordedEvent(seq: seq, id: EventID(high: 0, low: seq), type: event.type, data: event.data, timeMilliseconds: now))
        }
        events += recorded
        for view in definition.views { views[view.name] = try! view.fold(views[view.name], recorded) }
        for event in recorded {
            guard let timerId = event.data["timerId"]?.stringValue else { continue }
            switch event.type {
            case TimerEventType.set: timers[timerId] = (Int64(event.data["dueAt"]!.integerValue!), event.data["payload"] ?? [:])
            case TimerEventType.cancelled, TimerEventType.fired: timers[timerId] = nil
            default: continue
            }
        }
    }
}
