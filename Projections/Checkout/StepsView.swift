import EventModel

/// The `steps` view of a `checkout` saga (one per order, `checkout/ORDER`): where the saga
/// stands, and each line's reservation.
public struct StepsView: Projection {
    /// Where the saga stands.
    public enum Status: String, Codable, Sendable {
        /// Reserving every line.
        case reserving
        /// Every line reserved; waiting for the order's payment until the deadline.
        case awaitingPayment = "awaiting-payment"
        /// Paid: confirming every line.
        case confirming
        /// Giving back what was reserved (a line refused, the deadline passed, a cancel).
        case releasing
        /// Ended: every line sold.
        case confirmed
        /// Ended: nothing held.
        case failed
    }

    /// Where a line's reservation stands.
    public enum LineStatus: String, Codable, Sendable {
        /// `reserve` sent, no answer yet.
        case requested
        /// Held for the order.
        case reserved
        /// The SKU refused to reserve.
        case refused
        /// Sold.
        case confirmed
        /// Given back.
        case released
        /// Neither held nor given back as the saga asked: it expired before it was confirmed, or
        /// someone else closed it before it was released.
        case lost
    }

    /// A line.
    public struct Line: Codable, Sendable, Equatable {
        /// The SKU.
        public var sku: String
        /// Units.
        public var qty: Int
        /// Its reservation.
        public var status: LineStatus
        /// The SKU's refusal (`refused`, `lost`).
        public var refusal: String?
    }

    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// Where it stands; nil before it starts.
        public var status: Status?
        /// The order, `order/ORDER`.
        public var orderId: String?
        /// Its customer.
        public var customerId: String?
        /// Its lines, in the order's order.
        public var lines: [Line] = []
        /// How long payment may take.
        public var paymentSeconds = 0
        /// When it stops waiting for payment (once awaiting it), ms since the epoch.
        public var deadline: Int64?
        /// Whether the deadline's timer fired (the order then decides whether it was paid).
        public var deadlinePassed = false
        /// Why it failed.
        public var reason: String?
        /// Events it has recorded (its steps).
        public var steps = 0

        /// Not started.
        public init() {}

        /// Whether no line is still reserved or awaiting its SKU's answer.
        var holdsNothing: Bool { !lines.contains { $0.status == .requested || $0.status == .reserved } }
        /// The SKUs of the lines reserved now.
        var reservedSKUs: [String] { lines.filter { $0.status == .reserved }.map(\.sku) }
        /// The index of `sku`'s line.
        func line(_ sku: String) -> Int? { lines.firstIndex { $0.sku == sku } }
    }

    public let name = "steps"
    public let version = 2
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        if event.type.hasPrefix("Timer") { return }
        state.steps += 1
        switch event.type {
        case CheckoutEventType.started:
            guard let started = event.decode(CheckoutStarted.self) else { return }
            state.status = .reserving
            state.orderId = started.orderId
            state.customerId = started.customerId
            state.lines = started.lines.map { Line(sku: $0.sku, qty: $0.qty, status: .requested) }
            state.paymentSeconds = started.paymentSeconds
        case CheckoutEventType.lineReserved: Self.set(&state, event, .reserved)
        case CheckoutEventType.lineConfirmed: Self.set(&state, event, .confirmed)
        case CheckoutEventType.lineReleased: Self.set(&state, event, .released)
        case CheckoutEventType.lineRefused, CheckoutEventType.lineConfirmFailed, CheckoutEventType.lineReleaseFailed:
            guard let refusal = event.decode(LineRefusal.self), let index = state.line(refusal.sku) else { return }
            state.lines[index].status = event.type == CheckoutEventType.lineRefused ? .refused : .lost
            state.lines[index].refusal = "\(refusal.code): \(refusal.message)"
        case CheckoutEventType.paymentAwaited:
            guard let awaited = event.decode(PaymentAwaited.self) else { return }
            state.status = .awaitingPayment
            state.deadline = awaited.deadline
        case CheckoutEventType.deadlinePassed:
            state.deadlinePassed = true
        case CheckoutEventType.paymentReceived:
            state.status = .confirming
        case CheckoutEventType.completed:
            state.status = .confirmed
        case CheckoutEventType.failing, CheckoutEventType.failed:
            guard let failing = event.decode(CheckoutReason.self) else { return }
            state.status = event.type == CheckoutEventType.failed ? .failed : .releasing
            state.reason = failing.reason
        default:
            return
        }
    }

    private static func set(_ state: inout State, _ event: RecordedEvent, _ status: LineStatus) {
        guard let reference = event.decode(LineReference.self), let index = state.line(reference.sku) else { return }
        state.lines[index].status = status
    }
}
