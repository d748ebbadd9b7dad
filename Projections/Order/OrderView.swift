import EventModel

/// The `order` view: where an order stands, its lines, and why it failed.
///
/// `placed` until the checkout saga has reserved every line, `awaiting-payment` until `pay` (or
/// the deadline, or `cancel`), then `confirmed` once every line is sold, or `failed` with the
/// reason once every reservation is given back.
public struct OrderView: Projection {
    /// Where an order stands.
    public enum Status: String, Codable, Sendable {
        case placed
        case awaitingPayment = "awaiting-payment"
        case confirmed, failed
    }

    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// Where it stands; nil before `place`.
        public var status: Status?
        /// Who ordered.
        public var customerId: String?
        /// What.
        public var lines: [OrderLine] = []
        /// How long payment may take once every line is reserved.
        public var paymentSeconds = 0
        /// When it was placed, ms since the epoch.
        public var placedAt: Int64?
        /// When the saga stops waiting for payment, ms since the epoch (once awaiting it).
        public var paymentDeadline: Int64?
        /// Whether `pay` came (a failed order that was paid is owed a refund).
        public var paid = false
        /// Whether `cancel` came.
        public var cancelRequested = false
        /// Whether the payment deadline passed unpaid (`pay` is refused from then on).
        public var paymentExpired = false
        /// Why it failed.
        public var reason: String?

        /// No order yet.
        public init() {}
    }

    public let name = "order"
    public let version = 2
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        switch event.type {
        case OrderEventType.placed:
            guard let placed = event.decode(OrderPlaced.self) else { return }
            state.status = .placed
            state.customerId = placed.customerId
            state.lines = placed.lines
            state.paymentSeconds = placed.paymentSeconds
            state.placedAt = event.timeMilliseconds
        case OrderEventType.awaitingPayment:
            guard let awaiting = event.decode(OrderAwaitingPayment.self) else { return }
            state.status = .awaitingPayment
            state.paymentDeadline = awaiting.deadline
        case OrderEventType.paid:
            state.paid = true
        case OrderEventType.cancelRequested:
            state.cancelRequested = true
        case OrderEventType.paymentExpired:
            state.paymentExpired = true
        case OrderEventType.confirmed:
            state.status = .confirmed
        case OrderEventType.failed:
            guard let failed = event.decode(OrderFailed.self) else { return }
            state.status = .failed
            state.reason = failed.reason
        default:
            return
        }
    }
}
