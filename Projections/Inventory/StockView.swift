import EventModel

/// The `stock` view of an inventory object (one per SKU): what is available, reserved and sold
/// (the summary), and a row per order id that ever reserved, pending or how it ended.
///
/// Keyed, so a SKU with a million pending orders costs a reserve one row, and the closed orders
/// that pile up over a SKU's life stay in storage, read by key (`?key=ORDER`).
public struct StockView: KeyedProjection {
    /// The totals.
    public struct Summary: Codable, Sendable, Equatable {
        /// Units that can be reserved now.
        public var available = 0
        /// Units held by pending reservations (the `Reserved` events not closed yet).
        public var reserved = 0
        /// Units sold (confirmed reservations).
        public var sold = 0
        /// Orders whose reservation is pending.
        public var pendingOrders = 0
        /// Units of the pending orders' rows: equal to `reserved` unless one line reserved the
        /// same order twice (which only a merge can bring, and the invariant refuses).
        public var pendingUnits = 0

        public init() {}
    }

    /// An order's reservation.
    public struct Order: Codable, Sendable, Equatable {
        /// Where a reservation stands.
        public enum Status: String, Codable, Sendable {
            case pending, confirmed, released, expired
        }

        /// Units reserved.
        public var qty: Int
        /// When the reservation expires (or expired), ms since the epoch.
        public var expiresAt: Int64
        /// Where it stands.
        public var status: Status
    }

    public typealias Row = Order

    public let name = "stock"
    public let version = 2
    public var initialSummary: Summary { Summary() }

    public init() {}

    public func apply(_ summary: inout Summary, _ orders: Rows<Order>, _ event: RecordedEvent) {
        switch event.type {
        case "Restocked":
            guard let restocked = event.decode(Restocked.self) else { return }
            summary.available += restocked.qty
        case "Reserved":
            guard let reserved = event.decode(Reserved.self) else { return }
            summary.available -= reserved.qty
            summary.reserved += reserved.qty
            if let previous = orders[reserved.orderId], previous.status == .pending {
                summary.pendingUnits -= previous.qty
            } else {
                summary.pendingOrders += 1
            }
            summary.pendingUnits += reserved.qty
            orders[reserved.orderId] = Order(qty: reserved.qty, expiresAt: reserved.expiresAt, status: .pending)
        case "Confirmed", "Released", "Expired":
            guard let closed = event.decode(OrderReference.self), var order = orders[closed.orderId], order.status == .pending else { return }
            summary.reserved -= order.qty
            summary.pendingOrders -= 1
            summary.pendingUnits -= order.qty
            switch event.type {
            case "Confirmed":
                summary.sold += order.qty
                order.status = .confirmed
            case "Released":
                summary.available += order.qty
                order.status = .released
            default:
                summary.available += order.qty
                order.status = .expired
            }
            orders[closed.orderId] = order
        case "Adjusted":
            guard let adjusted = event.decode(Adjusted.self) else { return }
            summary.available += adjusted.delta
        default:
            return
        }
    }
}

/// The data of inventory events, as `Schemas/inventory.schema.json` declares them.
struct Restocked: Codable, Sendable {
    var qty: Int
    var note: String?
}

struct Reserved: Codable, Sendable {
    var orderId: String
    var qty: Int
    var expiresAt: Int64
}

struct OrderReference: Codable, Sendable {
    var orderId: String
    var reason: String?
}

struct Adjusted: Codable, Sendable {
    var delta: Int
    var reason: String
}

struct ReorderPointSet: Codable, Sendable {
    var point: Int
}
