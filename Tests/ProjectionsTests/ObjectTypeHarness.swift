import EventModel

/// Drives an object type the way the engine's writer does, without the engine: a command is
/// decided on the current state of the view its decider reads, its events are recorded at
/// `now` (typed, as the writer folds them) and folded into every view, and timers are kept
/// pending, fired and cancelled from the timer events, as the engine keeps them.
struct ObjectTypeHarness {
    let definition: ObjectTypeDefinition
    /// The writer's clock: the decision time and the commit time of what is appended.
    var now: Int64
    /// Every view, in memory.
    let object: MemoryObject
    /// Everything appended, in order.
    private(set) var events: [RecordedEvent] = []
    /// The pending timers by id.
    private(set) var timers: [String: (dueAt: Int64, payload: JSONValue)] = [:]

    init(_ definition: ObjectTypeDefinition, now: Int64 = 1_700_000_000_000) {
        self.definition = definition
        self.now = now
        object = MemoryObject(definition)
    }

    /// Runs the command `name` with `body`; its events, if any, are appended.
    @discardableResult
    mutating func run(_ name: String, _ body: JSONValue) -> Result<[NewEvent], Rejection> {
        let result = object.decide(name, body, context: DecisionContext(nowMilliseconds: now))
        if case .success(let decided) = result { append(decided) }
        return result
    }

    /// Fires `timerId` now, if it is pending: appends `TimerFired` and the handler's events,
    /// and returns the handler's events.
    @discardableResult
    mutating func fire(_ timerId: String) -> [NewEvent] {
        guard let pending = timers[timerId] else { return [] }
        let decided = object.fire(timerId: timerId, payload: pending.payload, context: DecisionContext(nowMilliseconds: now))
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

    /// The whole view `name`: its summary and rows, as JSON.
    func view(_ name: String) -> MaterializedView { object.view(name) }

    /// The summary (a plain view's whole state) of `view`, decoded.
    func summary<Summary: Decodable>(_ view: String, as type: Summary.Type = Summary.self) -> Summary {
        try! JSONValueDecoder().decode(Summary.self, from: object.view(view).summary)
    }

    /// The rows of `view` whose keys start with `prefix`, decoded, in key order.
    func rows<Row: Decodable>(_ view: String, prefix: String = "", as type: Row.Type = Row.self) -> [(key: String, row: Row)] {
        object.view(view).rows.filter { $0.key.utf8.starts(with: prefix.utf8) }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { ($0.key, try! JSONValueDecoder().decode(Row.self, from: $0.value)) }
    }

    /// Appends `events` as decided ones (hand-made, or as another writer wrote them).
    mutating func append(_ decided: [NewEvent]) {
        guard !decided.isEmpty else { return }
        var recorded: [RecordedEvent] = []
        for event in decided {
            let seq = Seq(events.count + recorded.count + 1)
            recorded.append(RecordedEvent(seq: seq, id: EventID(high: 0, low: seq), decided: event, timeMilliseconds: now))
        }
        events += recorded
        object.apply(recorded)
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

extension AnyProjection {
    /// The view after `events`, folded at once and in pieces cut at `cuts` (ascending), checked
    /// equal by the caller: each piece goes on from the one before through its JSON.
    func materialize(_ events: [RecordedEvent], cutAt cuts: [Int]) throws -> MaterializedView {
        var state: MaterializedView?
        var start = 0
        for cut in cuts + [events.count] where cut >= start {
            state = try materialize(Array(events[start..<cut]), from: state)
            start = cut
        }
        return try state ?? materialize([])
    }
}
