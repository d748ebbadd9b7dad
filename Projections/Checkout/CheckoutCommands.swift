import EventModel

/// `start {orderId, customerId, lines, paymentSeconds}`: the saga's first step, sent by the
/// `checkout` reaction when the order is placed; its lines are then reserved.
public struct StartCheckoutCommand: Decider {
    public struct Command: Codable, Sendable {
        public var orderId: String
        public var customerId: String
        public var lines: [OrderLine]
        public var paymentSeconds: Int
    }

    public let name = "start"
    public let source = StepsView()
    public init() {}

    public func decide(_ command: Command, state: StepsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard state.status == nil else { return .success([]) }
        guard !command.lines.isEmpty else { return .failure(Rejection(code: "INVALID_LINES", status: 422, message: "a checkout has at least one line")) }
        let started = CheckoutStarted(orderId: command.orderId, customerId: command.customerId, lines: command.lines, paymentSeconds: command.paymentSeconds)
        return events { [try NewEvent(type: CheckoutEventType.started, payload: started)] }
    }
}

/// What a line's SKU answered, sent to the saga by the `checkout` reaction: `lineReserved`,
/// `lineRefused`, `lineConfirmed`, `lineConfirmFailed`, `lineReleased`, `lineReleaseFailed`
/// (`{sku}`, with the refusal's `code` and `message` for the refusals).
public struct LineStepCommand: Decider {
    public struct Command: Codable, Sendable {
        public var sku: String
        public var code: String?
        public var message: String?
    }

    /// The answers.
    enum Answer {
        case reserved, refused, confirmed, confirmFailed, released, releaseFailed
    }

    public let name: String
    private let answer: Answer
    public let source = StepsView()

    /// `lineReserved`: the SKU holds the line's units.
    public static let reserved = LineStepCommand(name: "lineReserved", answer: .reserved)
    /// `lineRefused`: the SKU refused to reserve them.
    public static let refused = LineStepCommand(name: "lineRefused", answer: .refused)
    /// `lineConfirmed`: the SKU sold them.
    public static let confirmed = LineStepCommand(name: "lineConfirmed", answer: .confirmed)
    /// `lineConfirmFailed`: the reservation was gone when it was to be confirmed.
    public static let confirmFailed = LineStepCommand(name: "lineConfirmFailed", answer: .confirmFailed)
    /// `lineReleased`: the SKU has them back.
    public static let released = LineStepCommand(name: "lineReleased", answer: .released)
    /// `lineReleaseFailed`: the reservation could not be given back (someone confirmed it).
    public static let releaseFailed = LineStepCommand(name: "lineReleaseFailed", answer: .releaseFailed)

    private init(name: String, answer: Answer) {
        self.name = name
        self.answer = answer
    }

    public func decide(_ command: Command, state: StepsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard let status = state.status, let index = state.line(command.sku) else { return .failure(StepsView.unexpected(name, state)) }
        let line = state.lines[index].status
        var after = state
        let refusal = LineRefusal(sku: command.sku, code: command.code ?? "UNKNOWN", message: command.message ?? "")
        return events {
            switch (answer, status, line) {
            case (.reserved, .reserving, .requested):
                after.lines[index].status = .reserved
                let reserved = [try NewEvent(type: CheckoutEventType.lineReserved, payload: LineReference(sku: command.sku))]
                guard after.lines.allSatisfy({ $0.status == .reserved }) else { return reserved }
                let deadline = context.nowMilliseconds + Int64(state.paymentSeconds) * 1_000
                return reserved + [
                    try NewEvent(type: CheckoutEventType.paymentAwaited, payload: PaymentAwaited(deadline: deadline)),
                    .setTimer(id: PaymentDeadline.timerId, dueAt: deadline, payload: [:]),
                ]
            case (.reserved, .releasing, .requested):
                // Reserved after the saga gave up: given back at once.
                return [
                    try NewEvent(type: CheckoutEventType.lineReserved, payload: LineReference(sku: command.sku)),
                    try NewEvent(type: CheckoutEventType.releaseRequested, payload: LinesRequest(skus: [command.sku], reason: state.reason)),
                ]
            case (.refused, .reserving, .requested), (.refused, .releasing, .requested):
                after.lines[index].status = .refused
                let refused = try NewEvent(type: CheckoutEventType.lineRefused, payload: refusal)
                if status == .reserving {
                    return [refused] + (try StepsView.failing(after, reason: "\(command.sku): \(refusal.message)", context: context))
                }
                return [refused] + (try StepsView.failedIfDone(after))
            case (.released, .releasing, .reserved):
                after.lines[index].status = .released
                return [try NewEvent(type: CheckoutEventType.lineReleased, payload: LineReference(sku: command.sku))] + (try StepsView.failedIfDone(after))
            case (.releaseFailed, .releasing, .reserved):
                after.lines[index].status = .lost
                after.lines[index].refusal = "\(refusal.code): \(refusal.message)"
                return [try NewEvent(type: CheckoutEventType.lineReleaseFailed, payload: refusal)] + (try StepsView.failedIfDone(after))
            case (.confirmed, .confirming, .reserved), (.confirmFailed, .confirming, .reserved):
                after.lines[index].status = answer == .confirmed ? .confirmed : .lost
                let answered =
                    answer == .confirmed
                    ? try NewEvent(type: CheckoutEventType.lineConfirmed, payload: LineReference(sku: command.sku))
                    : try NewEvent(type: CheckoutEventType.lineConfirmFailed, payload: refusal)
                guard !after.lines.contains(where: { $0.status == .reserved }) else { return [answered] }
                let lost = after.lines.filter { $0.status == .lost }.map(\.sku)
                guard lost.isEmpty else {
                    let reason = "paid, but the reservation of \(lost.joined(separator: ", ")) expired before it was confirmed: a refund is due"
                    return [answered, try NewEvent(type: CheckoutEventType.failed, payload: CheckoutReason(reason: reason))]
                }
                return [answered, NewEvent(type: CheckoutEventType.completed, data: [:])]
            default:
                throw StepsView.unexpected(name, state, line: command.sku)
            }
        }
    }
}

/// `paid {}`: the order was paid (sent by the `checkout` reaction): every line is confirmed.
public struct CheckoutPaidCommand: Decider {
    public struct Command: Codable, Sendable {}

    public let name = "paid"
    public let source = StepsView()
    public init() {}

    public func decide(_ command: Command, state: StepsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        guard state.status == .awaitingPayment else {
            let status = state.status?.rawValue ?? "not started"
            return .failure(Rejection(code: "PAYMENT_NOT_EXPECTED", message: "the checkout is \(status): the payment came too late", facts: ["status": .string(status)]))
        }
        return events {
            [
                NewEvent(type: CheckoutEventType.paymentReceived, data: [:]), .cancelTimer(id: PaymentDeadline.timerId),
                try NewEvent(type: CheckoutEventType.confirmRequested, payload: LinesRequest(skus: state.lines.map(\.sku))),
            ]
        }
    }
}

/// `paymentExpired {}`: the order's payment deadline passed unpaid (sent by the `checkout`
/// reaction): what is reserved is given back.
public struct PaymentExpiredCommand: Decider {
    public struct Command: Codable, Sendable {}

    public let name = "paymentExpired"
    public let source = StepsView()
    public init() {}

    public func decide(_ command: Command, state: StepsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        switch state.status {
        case .awaitingPayment?:
            return events { try StepsView.failing(state, reason: "no payment within \(state.paymentSeconds) s", context: context) }
        case .releasing?, .failed?:
            // A cancel got there first.
            return .success([])
        default:
            return .failure(StepsView.unexpected(name, state))
        }
    }
}

/// `cancel {reason?}`: the order was cancelled (sent by the `checkout` reaction): what is
/// reserved is given back.
public struct CancelCheckoutCommand: Decider {
    public struct Command: Codable, Sendable {
        public var reason: String?
    }

    public let name = "cancel"
    public let source = StepsView()
    public init() {}

    public func decide(_ command: Command, state: StepsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = CheckoutReaction.refusal(of: name, context) { return .failure(refusal) }
        switch state.status {
        case .reserving?, .awaitingPayment?:
            let reason = "cancelled" + (command.reason.map { ": \($0)" } ?? "")
            return events { try StepsView.failing(state, reason: reason, context: context) }
        case .releasing?, .failed?:
            return .success([])
        default:
            return .failure(StepsView.unexpected(name, state))
        }
    }
}

extension StepsView {
    /// What giving up with `reason` decides, from `state` (the line just answered included):
    /// the reason, the deadline's timer cancelled, the reserved lines to give back, and the end
    /// if nothing is held.
    static func failing(_ state: State, reason: String, context: DecisionContext) throws -> [NewEvent] {
        var decided = [try NewEvent(type: CheckoutEventType.failing, payload: CheckoutReason(reason: reason))]
        if state.status == .awaitingPayment, !state.deadlinePassed { decided.append(.cancelTimer(id: PaymentDeadline.timerId)) }
        let reserved = state.reservedSKUs
        if !reserved.isEmpty { decided.append(try NewEvent(type: CheckoutEventType.releaseRequested, payload: LinesRequest(skus: reserved, reason: reason))) }
        var failed = state
        failed.reason = reason
        return decided + (try failedIfDone(failed))
    }

    /// `CheckoutFailed` when `state` (giving up) holds nothing any more; its reason names the
    /// lines that could not be given back.
    static func failedIfDone(_ state: State) throws -> [NewEvent] {
        guard state.holdsNothing else { return [] }
        var reason = state.reason ?? "unknown"
        let lost = state.lines.filter { $0.status == .lost }
        if !lost.isEmpty {
            reason += "; not given back: " + lost.map { "\($0.sku) (\($0.refusal ?? "closed elsewhere"))" }.joined(separator: ", ")
        }
        return [try NewEvent(type: CheckoutEventType.failed, payload: CheckoutReason(reason: String(reason.prefix(2_000))))]
    }

    /// A step that does not fit where the saga stands.
    static func unexpected(_ command: String, _ state: State, line sku: String? = nil) -> Rejection {
        let status = state.status?.rawValue ?? "not started"
        var facts: [String: JSONValue] = ["status": .string(status)]
        var about = ""
        if let sku, let index = state.line(sku) {
            facts["sku"] = .string(sku)
            facts["line"] = .string(state.lines[index].status.rawValue)
            about = " with the line of \(sku) \(state.lines[index].status.rawValue)"
        }
        return Rejection(code: "UNEXPECTED_STEP", message: "\(command) does not apply to a checkout that is \(status)\(about)", facts: facts)
    }
}
