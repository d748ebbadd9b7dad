import EventModel

/// The event types of an `order`, as `Schemas/order.schema.json` declares them.
public enum OrderEventType {
    /// `place`: the order, its lines and how long payment may take.
    public static let placed = "OrderPlaced"
    /// The checkout saga reserved every line: the order waits for `pay` until the deadline.
    public static let awaitingPayment = "OrderAwaitingPayment"
    /// `pay`.
    public static let paid = "OrderPaid"
    /// `cancel`: the saga gives the stock back, and the order fails.
    public static let cancelRequested = "OrderCancelRequested"
    /// The payment deadline passed before `pay` (the order decides, so a payment it took
    /// counts, however late the saga hears of it).
    public static let paymentExpired = "OrderPaymentExpired"
    /// The saga confirmed every line: the units are sold.
    public static let confirmed = "OrderConfirmed"
    /// The saga gave back whatever it had reserved: the order ended without a sale.
    public static let failed = "OrderFailed"
}

/// A line of an order: units of one SKU (the object `inventory/SKU`).
public struct OrderLine: Codable, Sendable, Equatable {
    /// The SKU.
    public var sku: String
    /// Units.
    public var qty: Int

    /// `qty` units of `sku`.
    public init(sku: String, qty: Int) {
        self.sku = sku
        self.qty = qty
    }
}

/// `OrderPlaced`.
struct OrderPlaced: Codable, Sendable {
    var customerId: String
    var lines: [OrderLine]
    var paymentSeconds: Int
}

/// `OrderAwaitingPayment`.
struct OrderAwaitingPayment: Codable, Sendable {
    /// When the saga stops waiting, ms since the epoch.
    var deadline: Int64
}

/// `OrderCancelRequested`.
struct OrderCancelRequested: Codable, Sendable {
    var reason: String?
}

/// `OrderFailed`.
struct OrderFailed: Codable, Sendable {
    var reason: String
}
