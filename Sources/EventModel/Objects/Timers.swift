/// Timers an object sets for itself (a reservation's expiry, an idle user's drop).
///
/// Setting and cancelling a timer are events in the object's own history (`TimerSet`,
/// `TimerCancelled`), and so is its firing (`TimerFired`), so a replay of the object reproduces
/// its timers. The engine keeps the pending ones in storage and, when one is due, runs the object
/// type's ``TimerHandler`` in the object's single writer.
public enum TimerEventType {
    /// `{"timerId", "dueAt", "payload"}`: a timer is set (or moved, if the id is set already).
    public static let set = "TimerSet"
    /// `{"timerId"}`: a pending timer is cancelled.
    public static let cancelled = "TimerCancelled"
    /// `{"timerId"}`: a timer fired; the handler's events follow it in the same append.
    public static let fired = "TimerFired"
}

extension NewEvent {
    /// Sets the timer `id` to fire at `dueAt` (ms since the epoch) with `payload`.
    public static func setTimer(id: String, dueAt: Int64, payload: JSONValue = [:]) -> NewEvent {
        NewEvent(type: TimerEventType.set, data: ["timerId": .string(id), "dueAt": .number(Double(dueAt)), "payload": payload])
    }

    /// Cancels the timer `id` (nothing happens if it is not pending).
    public static func cancelTimer(id: String) -> NewEvent {
        NewEvent(type: TimerEventType.cancelled, data: ["timerId": .string(id)])
    }
}

/// What an object does when one of its timers fires: events decided from the current state,
/// like a decider's (an empty list when the timer no longer matters).
public protocol TimerHandler: Sendable {
    /// The view whose state the handler reads.
    associatedtype Source: ViewProjection
    /// The view it reads.
    var source: Source { get }
    /// The events for the firing of `timerId` with `payload`.
    func fire(timerId: String, payload: JSONValue, state: Source.State, context: DecisionContext) -> [NewEvent]
}

/// A timer handler with its state type erased, for the engine.
public struct AnyTimerHandler: Sendable {
    /// The name of the view the handler reads.
    public let viewName: String
    private let run: @Sendable (String, JSONValue, any Sendable, DecisionContext) -> [NewEvent]

    /// Wraps `handler`.
    public init<H: TimerHandler>(_ handler: H) {
        viewName = handler.source.name
        run = { timerId, payload, state, context in
            guard let typedState = state as? H.Source.State else { return [] }
            return handler.fire(timerId: timerId, payload: payload, state: typedState, context: context)
        }
    }

    /// Runs the handler for `timerId` on `state`, its view's ``AnyViewState/stateValue``.
    public func fire(timerId: String, payload: JSONValue, state: any Sendable, context: DecisionContext) -> [NewEvent] {
        run(timerId, payload, state, context)
    }
}
