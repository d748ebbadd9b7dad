import EventModel

/// `place {customerId, lines: [{sku, qty}], paymentSeconds = 900}`: places the order; the
/// checkout saga then reserves every line.
public struct PlaceOrderCommand: Decider {
    public struct Command: Codable, Sendable {
        public var customerId: String
        public var lines: [OrderLine]
        public var paymentSeconds: Int?
    }

    /// The most lines an order may have.
    public static let linesMax = 100
    /// The longest payment may take: a day.
    public static let paymentSecondsMax = 86_400

    public let name = "place"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let status = state.status {
            return .failure(Rejection(code: "ORDER_EXISTS", message: "the order is already placed (\(status.rawValue))", facts: ["status": .string(status.rawValue)]))
        }
        guard (1...128).contains(command.customerId.utf8.count) else {
            return .failure(Rejection(code: "INVALID_CUSTOMER", status: 422, message: "customerId must be 1 to 128 characters"))
        }
        guard (1...Self.linesMax).contains(command.lines.count) else {
            return .failure(
                Rejection(code: "INVALID_LINES", status: 422, message: "an order has 1 to \(Self.linesMax) lines, got \(command.lines.count)"))
        }
        var skus = Set<String>()
        for (index, line) in command.lines.enumerated() {
            guard (try? ObjectID(line.sku)) != nil else {
                return .failure(
                    Rejection(
                        code: "INVALID_SKU", status: 422, message: "lines[\(index)].sku is not an inventory object id: \(line.sku)",
                        facts: ["line": .number(Double(index))]))
            }
            guard (1...1_000_000_000).contains(line.qty) else {
                return .failure(
                    Rejection(
                        code: "INVALID_QUANTITY", status: 422, message: "lines[\(index)].qty must be 1 to 1000000000, got \(line.qty)",
                        facts: ["line": .number(Double(index))]))
            }
            // A SKU holds one reservation per order: a second line of it would be refused.
            guard skus.insert(line.sku).inserted else {
                return .failure(
                    Rejection(
                        code: "DUPLICATE_SKU", status: 422, message: "lines[\(index)] names \(line.sku) again: give each SKU one line",
                        facts: ["line": .number(Double(index)), "sku": .string(line.sku)]))
            }
        }
        let paymentSeconds = command.paymentSeconds ?? 900
        guard (1...Self.paymentSecondsMax).contains(paymentSeconds) else {
            return .failure(
                Rejection(code: "INVALID_PAYMENT_TIME", status: 422, message: "paymentSeconds must be 1 to \(Self.paymentSecondsMax), got \(paymentSeconds)"))
        }
        return events {
            [try NewEvent(type: OrderEventType.placed, payload: OrderPlaced(customerId: command.customerId, lines: command.lines, paymentSeconds: paymentSeconds))]
        }
    }
}

/// `pay {}`: the payment came; accepted while the order awaits it, and the saga then confirms
/// every line.
public struct PayOrderCommand: Decider {
    public struct Command: Codable, Sendable {}

    public let name = "pay"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard let status = state.status else { return .failure(OrderView.notPlaced) }
        guard !state.paid else { return .failure(Rejection(code: "ALREADY_PAID", message: "the order is already paid")) }
        guard status == .awaitingPayment, !state.cancelRequested, !state.paymentExpired else {
            let why =
                switch status {
                case .placed: "its lines are still being reserved: pay once it is awaiting-payment"
                case .failed: "it failed: \(state.reason ?? "")"
                default:
                    state.cancelRequested
                        ? "it is being cancelled" : state.paymentExpired ? "its payment deadline passed" : "it is \(status.rawValue)"
                }
            return .failure(Rejection(code: "PAYMENT_NOT_EXPECTED", message: "the order takes no payment: \(why)", facts: ["status": .string(status.rawValue)]))
        }
        return .success([NewEvent(type: OrderEventType.paid, data: [:])])
    }
}

/// `cancel {reason?}`: gives the order up before it is paid; the saga releases what it reserved
/// and the order fails with the reason.
public struct CancelOrderCommand: Decider {
    public struct Command: Codable, Sendable {
        public var reason: String?
    }

    public let name = "cancel"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard let status = state.status else { return .failure(OrderView.notPlaced) }
        guard status == .placed || status == .awaitingPayment, !state.paid else {
            let why = state.paid && status == .awaitingPayment ? "it is paid" : "it is \(status.rawValue)"
            return .failure(Rejection(code: "INVALID_STATUS", message: "the order cannot be cancelled: \(why)", facts: ["status": .string(status.rawValue)]))
        }
        // Cancelling again changes nothing.
        guard !state.cancelRequested else { return .success([]) }
        return events { [try NewEvent(type: OrderEventType.cancelRequested, payload: OrderCancelRequested(reason: command.reason))] }
    }
}

/// `awaitPayment {deadline}`: the checkout saga's step, once every line is reserved.
public struct AwaitPaymentCommand: Decider {
    public struct Command: Codable, Sendable {
        public var deadline: Int64
    }

    public let name = "awaitPayment"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard state.status == .placed else { return .failure(OrderView.unexpected(name, state)) }
        return events { [try NewEvent(type: OrderEventType.awaitingPayment, payload: OrderAwaitingPayment(deadline: command.deadline))] }
    }
}

/// `expirePayment {}`: the checkout saga's step when its deadline's timer fires. The order has
/// the last word: unpaid, it stops taking payment (and the saga gives the stock back); paid
/// already (the saga has not heard yet), it is refused with `ALREADY_PAID`, and the saga
/// confirms when it hears.
public struct ExpirePaymentCommand: Decider {
    public struct Command: Codable, Sendable {}

    public let name = "expirePayment"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard state.status == .awaitingPayment, !state.paymentExpired else {
            // Ended or expired already (a cancel got there first): nothing left to expire.
            guard state.status == .placed else { return .success([]) }
            return .failure(OrderView.unexpected(name, state))
        }
        guard !state.paid else { return .failure(Rejection(code: "ALREADY_PAID", message: "the order was paid before its deadline")) }
        return .success([NewEvent(type: OrderEventType.paymentExpired, data: [:])])
    }
}

/// `settle {outcome: confirmed | failed, reason}`: the checkout saga's last step, once every line
/// is sold or given back.
public struct SettleOrderCommand: Decider {
    public struct Command: Codable, Sendable {
        public var outcome: OrderView.Status
        public var reason: String?
    }

    public let name = "settle"
    public let source = OrderView()
    public init() {}

    public func decide(_ command: Command, state: OrderView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard state.status == .placed || state.status == .awaitingPayment else { return .failure(OrderView.unexpected(name, state)) }
        switch command.outcome {
        case .confirmed:
            return .success([NewEvent(type: OrderEventType.confirmed, data: [:])])
        case .failed:
            return events { [try NewEvent(type: OrderEventType.failed, payload: OrderFailed(reason: command.reason ?? "unknown"))] }
        default:
            return .failure(Rejection(code: "INVALID_OUTCOME", status: 422, message: "outcome is confirmed or failed, got \(command.outcome.rawValue)"))
        }
    }
}

extension OrderView {
    /// A command to an order never placed.
    static let notPlaced = Rejection(code: "ORDER_NOT_FOUND", status: 404, message: "the order is not placed")

    /// A saga step that does not fit where the order stands.
    static func unexpected(_ command: String, _ state: State) -> Rejection {
        let status = state.status?.rawValue ?? "not placed"
        return Rejection(code: "UNEXPECTED_STEP", message: "\(command) does not apply to an order that is \(status)", facts: ["status": .string(status)])
    }
}
