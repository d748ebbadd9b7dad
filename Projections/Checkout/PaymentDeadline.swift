import EventModel

/// When the payment deadline's timer fires and the saga still awaits payment, it asks the order
/// to stop taking payment (`PaymentDeadlinePassed`, which the reaction sends as the order's
/// `expirePayment`): the order decides, so a payment it took in time wins however late the saga
/// hears of it; unpaid, the order answers `OrderPaymentExpired` and the saga gives everything back.
public struct PaymentDeadline: TimerHandler {
    public let source = StepsView()
    public init() {}

    /// The deadline's timer id.
    static let timerId = "payment"

    public func fire(timerId: String, payload: JSONValue, state: StepsView.State, context: DecisionContext) -> [NewEvent] {
        guard timerId == Self.timerId, state.status == .awaitingPayment, !state.deadlinePassed else { return [] }
        return [NewEvent(type: CheckoutEventType.deadlinePassed, data: [:])]
    }
}
