import EventModel

/// When the payment deadline's timer fires and the saga still awaits payment, it gives up:
/// every line is given back and the order fails.
public struct PaymentDeadline: TimerHandler {
    public let source = StepsView()
    public init() {}

    /// The deadline's timer id.
    static let timerId = "payment"

    public func fire(timerId: String, payload: JSONValue, state: StepsView.State, context: DecisionContext) -> [NewEvent] {
        guard timerId == Self.timerId, state.status == .awaitingPayment else { return [] }
        let reason = "no payment within \(state.paymentSeconds) s"
        return (try? StepsView.failing(state, reason: reason, context: context)) ?? []
    }
}
