import EventModel

/// The event types of a `checkout` saga, as `Schemas/checkout.schema.json` declares them. The
/// saga's decider writes what it asks of other objects as events (`CheckoutStarted`,
/// `PaymentAwaited`, `ConfirmRequested`, `ReleaseRequested`, `CheckoutCompleted`,
/// `CheckoutFailed`), which the `checkout` reaction turns into their commands; what comes back
/// (a line reserved, refused, confirmed, released) is a command to the saga.
public enum CheckoutEventType {
    /// The order's lines, to reserve.
    public static let started = "CheckoutStarted"
    /// A line's SKU reserved its units.
    public static let lineReserved = "LineReserved"
    /// A line's SKU refused to (not enough stock...).
    public static let lineRefused = "LineRefused"
    /// Every line reserved: the order awaits payment until the deadline (a timer).
    public static let paymentAwaited = "PaymentAwaited"
    /// The deadline's timer fired: the order is asked whether it was paid (it decides).
    public static let deadlinePassed = "PaymentDeadlinePassed"
    /// The order was paid in time.
    public static let paymentReceived = "PaymentReceived"
    /// The lines' reservations, to confirm.
    public static let confirmRequested = "ConfirmRequested"
    /// A line's SKU confirmed the sale.
    public static let lineConfirmed = "LineConfirmed"
    /// A line's reservation could not be confirmed (it expired meanwhile).
    public static let lineConfirmFailed = "LineConfirmFailed"
    /// Every line sold.
    public static let completed = "CheckoutCompleted"
    /// A line refused, the deadline passed or the order was cancelled: what was reserved goes back.
    public static let failing = "CheckoutFailing"
    /// Reservations to give back.
    public static let releaseRequested = "ReleaseRequested"
    /// A line's reservation was given back.
    public static let lineReleased = "LineReleased"
    /// A line's reservation could not be given back: someone else closed it (confirmed it).
    public static let lineReleaseFailed = "LineReleaseFailed"
    /// Everything reserved is back: the order failed.
    public static let failed = "CheckoutFailed"
}

/// `CheckoutStarted`.
struct CheckoutStarted: Codable, Sendable {
    var orderId: String
    var customerId: String
    var lines: [OrderLine]
    var paymentSeconds: Int
}

/// `LineReserved`, `LineConfirmed`, `LineReleased`.
struct LineReference: Codable, Sendable {
    var sku: String
}

/// `LineRefused`, `LineConfirmFailed`: the SKU's refusal.
struct LineRefusal: Codable, Sendable {
    var sku: String
    var code: String
    var message: String
}

/// `PaymentAwaited`.
struct PaymentAwaited: Codable, Sendable {
    var deadline: Int64
}

/// `ConfirmRequested`, `ReleaseRequested`: the SKUs whose reservations to close.
struct LinesRequest: Codable, Sendable {
    var skus: [String]
    var reason: String?
}

/// `CheckoutFailing`, `CheckoutFailed`.
struct CheckoutReason: Codable, Sendable {
    var reason: String
}
