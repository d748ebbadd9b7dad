/// The engine's view of an object's pending timers, folded from its `TimerSet`,
/// `TimerCancelled` and `TimerFired` events like any other view: a row per pending timer
/// (`timerId` → `{"dueAt", "payload"}`) and their count.
///
/// Because it is a view, it is checkpointed and can be read as of any seq, so the timers pending
/// at a fork point are found without replaying the whole object; because it is keyed, an object
/// with a million pending reservations writes one row per timer event, not a million.
public struct PendingTimers: KeyedProjection {
    /// The number of pending timers.
    public struct Summary: Codable, Sendable, Equatable {
        /// Timers set and neither cancelled nor fired.
        public var pending = 0
    }

    /// One pending timer.
    public struct Timer: Codable, Sendable, Equatable {
        /// When it is due, ms since the epoch.
        public var dueAt: Int64
        /// What its handler gets.
        public var payload: JSONValue
    }

    public typealias Row = Timer

    /// The view's name.
    public static let viewName = "timers"

    /// The view, version 2 (keyed).
    public static let projection = AnyProjection(PendingTimers())

    public let name = viewName
    public let version = 2
    public var initialSummary: Summary { Summary() }
    public var eventTypes: [String]? { [TimerEventType.set, TimerEventType.cancelled, TimerEventType.fired] }

    public func apply(_ summary: inout Summary, _ rows: Rows<Timer>, _ event: RecordedEvent) {
        guard let timerId = event.data["timerId"]?.stringValue else { return }
        let wasPending = rows[timerId] != nil
        switch event.type {
        case TimerEventType.set:
            guard let dueAt = event.data["dueAt"]?.integerValue else { return }
            rows[timerId] = Timer(dueAt: Int64(dueAt), payload: event.data["payload"] ?? [:])
            if !wasPending { summary.pending += 1 }
        case TimerEventType.cancelled, TimerEventType.fired:
            guard wasPending else { return }
            rows[timerId] = nil
            summary.pending -= 1
        default:
            return
        }
    }
}

extension PendingTimers.Timer: JSONBytesEncodable {
    /// `{"dueAt", "payload"}`, as its `Codable` form writes it (the payload sorted, as
    /// ``JSONWriter/value(_:)`` writes every tree): a checkpoint writes one per pending timer.
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"dueAt\":")
        writer.integer(dueAt)
        writer.ascii(",\"payload\":")
        writer.value(payload)
        writer.byte(UInt8(ascii: "}"))
    }
}
