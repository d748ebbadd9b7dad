import EventModel

/// `checkout`: the reaction that runs the checkout saga between `order`, `checkout` and
/// `inventory` objects. A pure mapping, event to commands:
///
/// | event | of | commands |
/// |---|---|---|
/// | `OrderPlaced` | `order/O` | `start` to `checkout/O` |
/// | `OrderPaid`, `OrderCancelRequested`, `OrderPaymentExpired` | `order/O` | `paid`, `cancel`, `paymentExpired` to `checkout/O` |
/// | `CheckoutStarted` | `checkout/O` | `reserve {orderId: O}` to each line's `inventory/SKU` |
/// | `PaymentAwaited`, `PaymentDeadlinePassed` | `checkout/O` | `awaitPayment`, `expirePayment` to `order/O` |
/// | `ConfirmRequested`, `ReleaseRequested` | `checkout/O` | `confirm`, `release` to each SKU named |
/// | `CheckoutCompleted`, `CheckoutFailed` | `checkout/O` | `settle` to `order/O` |
/// | `Reserved`, `Confirmed`, `Released` caused by it | `inventory/SKU` | `lineReserved`, `lineConfirmed`, `lineReleased` to `checkout/O` |
/// | `CommandRefused` of its `reserve`, `confirm`, `release` | `reaction/checkout` | `lineRefused`; `lineConfirmFailed` (`lineConfirmed` if it was confirmed already); `lineReleased` if the reservation is closed (released, expired, none), else `lineReleaseFailed` |
///
/// The saga's decider decides (which lines are held, when to give up); the reaction only
/// carries messages. Refusals of its commands to `order` and `checkout` objects are left as
/// facts (`ALREADY_PAID`: the deadline passed after the order took its payment).
public struct CheckoutReaction: Reaction {
    /// Its name.
    public static let reactionName = "checkout"
    /// How much longer than the payment time a line's reservation lives, in seconds: the saga
    /// confirms or releases it long before, unless it lags by a day.
    public static let reservationMarginSeconds = 86_400

    public let name = CheckoutReaction.reactionName
    public let eventTypes = [
        OrderEventType.placed, OrderEventType.paid, OrderEventType.cancelRequested, OrderEventType.paymentExpired, CheckoutEventType.started,
        CheckoutEventType.paymentAwaited, CheckoutEventType.deadlinePassed, CheckoutEventType.confirmRequested, CheckoutEventType.releaseRequested,
        CheckoutEventType.completed, CheckoutEventType.failed, "Reserved", "Confirmed", "Released", AnyReaction.refusedEventType,
    ]

    public init() {}

    /// Why a saga step named `command` is refused in `context`: on `main`, only this reaction
    /// sends them (on a what-if branch anyone may, to see what the saga would have done).
    static func refusal(of command: String, _ context: DecisionContext) -> Rejection? {
        guard context.branch == .main, context.reaction != reactionName else { return nil }
        return Rejection(
            code: "SAGA_STEP", status: 403,
            message: "\(command) is a step of the checkout saga, which only the reaction \(reactionName) sends on main (fork a branch to try it)")
    }

    public func react(to logEvent: LogEvent) -> [ReactionCommand] {
        let event = logEvent.event
        let id = logEvent.object.id.value
        switch logEvent.object.type.name {
        case "order":
            let saga = "checkout/" + id
            switch event.type {
            case OrderEventType.placed:
                guard let placed = event.decode(OrderPlaced.self) else { return [] }
                let body: JSONValue = [
                    "orderId": .string(id), "customerId": .string(placed.customerId),
                    "lines": .array(placed.lines.map { ["sku": .string($0.sku), "qty": .number(Double($0.qty))] }),
                    "paymentSeconds": .number(Double(placed.paymentSeconds)),
                ]
                return [ReactionCommand(object: saga, command: "start", body: body)]
            case OrderEventType.paid:
                return [ReactionCommand(object: saga, command: "paid", body: [:])]
            case OrderEventType.cancelRequested:
                let reason = event.decode(OrderCancelRequested.self)?.reason
                return [ReactionCommand(object: saga, command: "cancel", body: reason.map { ["reason": .string($0)] } ?? [:])]
            case OrderEventType.paymentExpired:
                return [ReactionCommand(object: saga, command: "paymentExpired", body: [:])]
            default:
                return []
            }
        case "checkout":
            return sagaAsked(event, orderId: id)
        case "inventory":
            guard logEvent.metadata("reaction")?.stringValue == name, let closed = event.decode(OrderReference.self) else { return [] }
            let step =
                switch event.type {
                case "Reserved": "lineReserved"
                case "Confirmed": "lineConfirmed"
                default: "lineReleased"
                }
            return [ReactionCommand(object: "checkout/" + closed.orderId, command: step, body: ["sku": .string(id)])]
        case AnyReaction.objectType:
            return refused(event)
        default:
            return []
        }
    }

    /// The commands a saga's event asks for.
    private func sagaAsked(_ event: RecordedEvent, orderId: String) -> [ReactionCommand] {
        let order = "order/" + orderId
        switch event.type {
        case CheckoutEventType.started:
            guard let started = event.decode(CheckoutStarted.self) else { return [] }
            let ttl = min(started.paymentSeconds + Self.reservationMarginSeconds, 30 * 86_400)
            return started.lines.map { line in
                ReactionCommand(
                    object: "inventory/" + line.sku, command: "reserve",
                    body: ["orderId": .string(orderId), "qty": .number(Double(line.qty)), "ttlSeconds": .number(Double(ttl))],
                    metadata: ["customer": .string(started.customerId)])
            }
        case CheckoutEventType.paymentAwaited:
            guard let awaited = event.decode(PaymentAwaited.self) else { return [] }
            return [ReactionCommand(object: order, command: "awaitPayment", body: ["deadline": .number(Double(awaited.deadline))])]
        case CheckoutEventType.deadlinePassed:
            return [ReactionCommand(object: order, command: "expirePayment", body: [:])]
        case CheckoutEventType.confirmRequested, CheckoutEventType.releaseRequested:
            guard let request = event.decode(LinesRequest.self) else { return [] }
            let command = event.type == CheckoutEventType.confirmRequested ? "confirm" : "release"
            var body: [String: JSONValue] = ["orderId": .string(orderId)]
            if command == "release", let reason = request.reason { body["reason"] = .string(String(reason.prefix(500))) }
            return request.skus.map { ReactionCommand(object: "inventory/" + $0, command: command, body: .object(body)) }
        case CheckoutEventType.completed:
            return [ReactionCommand(object: order, command: "settle", body: ["outcome": "confirmed"])]
        case CheckoutEventType.failed:
            let reason = event.decode(CheckoutReason.self)?.reason ?? "unknown"
            return [ReactionCommand(object: order, command: "settle", body: ["outcome": "failed", "reason": .string(reason)])]
        default:
            return []
        }
    }

    /// The saga's answer to one of its inventory commands refused.
    private func refused(_ event: RecordedEvent) -> [ReactionCommand] {
        let data = event.data
        guard data["reaction"]?.stringValue == name, let object = data["object"]?.stringValue, object.hasPrefix("inventory/"),
            let orderId = data["body"]?["orderId"]?.stringValue
        else { return [] }
        let sku = String(object.dropFirst("inventory/".count))
        let code = data["code"]?.stringValue ?? "UNKNOWN"
        let message = data["message"]?.stringValue ?? ""
        let refusal: JSONValue = ["sku": .string(sku), "code": .string(code), "message": .string(message)]
        // Where the reservation stands, when the SKU said (`INVALID_STATUS`); none at all is as
        // good as given back.
        let standing = code == "RESERVATION_NOT_FOUND" ? "released" : data["facts"]?["status"]?.stringValue
        let step =
            switch (data["command"]?.stringValue, standing) {
            case ("reserve"?, _): "lineRefused"
            case ("confirm"?, "confirmed"?): "lineConfirmed"
            case ("confirm"?, _): "lineConfirmFailed"
            case ("release"?, "released"?), ("release"?, "expired"?): "lineReleased"
            case ("release"?, _): "lineReleaseFailed"
            default: ""
            }
        guard !step.isEmpty else { return [] }
        let answer = step == "lineReleased" || step == "lineConfirmed" ? ["sku": .string(sku)] : refusal
        return [ReactionCommand(object: "checkout/" + orderId, command: step, body: answer)]
    }
}
