import EventModel

/// `orders-by-customer`: every reservation (main branch) by the customer named in its event's
/// metadata (`{"customer": "..."}`; send it with a command as the `Event-Metadata` header), keyed
/// `CUSTOMER/SKU/ORDER`, so `?prefix=CUSTOMER/` reads one customer's orders in SKU order; each
/// row follows its order to confirmed, released or expired.
///
/// Its bookkeeping rows, `~order SKU ORDER`, hold the same row, found by the events that close
/// an order (which need not carry the customer). A reservation without a customer, or with one
/// starting with `~`, is not listed.
public struct OrdersByCustomerView: LogProjection {
    /// Totals.
    public struct State: Codable, Sendable, Equatable {
        /// Reservations listed, ever.
        public var orders = 0
    }

    /// A reservation.
    public struct Row: Codable, Sendable, Equatable {
        /// Who reserved.
        public var customer: String
        /// The SKU.
        public var sku: String
        /// The order.
        public var orderId: String
        /// Units reserved.
        public var qty: Int
        /// `pending`, `confirmed`, `released` or `expired`.
        public var status: String
        /// When it was reserved, ms since the epoch.
        public var reservedAt: Int64
    }

    public let name = "orders-by-customer"
    public let version = 1
    public var initialState: State { State() }
    public var objectTypes: [String]? { ["inventory"] }

    public init() {}

    public func apply(_ state: inout State, _ rows: Rows<Row>, _ logEvent: LogEvent) {
        guard logEvent.branch == .main else { return }
        let sku = logEvent.object.id.value
        let event = logEvent.event
        switch event.type {
        case "Reserved":
            guard let customer = logEvent.metadata("customer")?.stringValue, !customer.isEmpty, !customer.hasPrefix("~"),
                let reserved = event.decode(Reserved.self)
            else { return }
            let lookup = "~order \(sku) \(reserved.orderId)"
            // A reservation of an order listed already moves it to its new customer.
            if let previous = rows[lookup] {
                rows["\(previous.customer)/\(sku)/\(reserved.orderId)"] = nil
            } else {
                state.orders += 1
            }
            let row = Row(customer: customer, sku: sku, orderId: reserved.orderId, qty: reserved.qty, status: "pending", reservedAt: event.timeMilliseconds)
            rows[lookup] = row
            rows["\(customer)/\(sku)/\(reserved.orderId)"] = row
        case "Confirmed", "Released", "Expired":
            guard let closed = event.decode(OrderReference.self) else { return }
            let lookup = "~order \(sku) \(closed.orderId)"
            guard var row = rows[lookup], row.status == "pending" else { return }
            row.status = event.type.lowercased()
            rows[lookup] = row
            rows["\(row.customer)/\(sku)/\(closed.orderId)"] = row
        default:
            return
        }
    }
}
