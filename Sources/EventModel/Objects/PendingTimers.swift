/// The engine's view of an object's pending timers, folded from its `TimerSet`,
/// `TimerCancelled` and `TimerFired` events like any other view: `{timerId: {"dueAt", "payload"}}`.
///
/// Because it is a view, it is snapshotted and can be read as of any seq, so the timers pending
/// at a fork point are found without replaying the whole object.
public enum PendingTimers {
    /// The view's name.
    public static let viewName = "timers"

    /// The view, version 1.
    public static let projection = AnyProjection(
        name: viewName, version: 1, eventTypes: [TimerEventType.set, TimerEventType.cancelled, TimerEventType.fired]
    ) { stored, events in
        guard case .object(var pending) = stored ?? [:] else { return [:] }
        for event in events {
            guard let timerId = event.data["timerId"]?.stringValue else { continue }
            switch event.type {
            case TimerEventType.set:
                guard let dueAt = event.data["dueAt"]?.integerValue else { continue }
                pending[timerId] = ["dueAt": .number(Double(dueAt)), "payload": event.data["payload"] ?? [:]]
            case TimerEventType.cancelled, TimerEventType.fired:
                pending[timerId] = nil
            default:
                continue
            }
        }
        return .object(pending)
    }
}
