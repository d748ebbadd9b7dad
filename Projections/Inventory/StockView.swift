import EventModel

/// The `stock` view of an inventory object (one per SKU): what is available, reserved and sold,
/// the pending reservations with their expiry, and how each closed reservation ended.
public struct StockView: Projection {
    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// Units that can be reserved now.
        public var available = 0
        /// Units held by pending reservations.
        public var reserved = 0
        /// Units sold (confirmed reservations).
        public var sold = 0
        /// Pending reservations by order id.
        public var pending: [String: Reservation] = [:]
        /// How each closed reservation ended (`confirmed`, `released`, `expired`), by order id.
        public var closed: [String: String] = [:]

        public init() {}
    }

    /// A pending reservation.
    public struct Reservation: Codable, Sendable, Equatable {
        /// Units held.
        public var qty: Int
        /// When it expires, ms since the epoch.
        public var expiresAt: Int64
    }

    public let name = "stock"
    public let version = 1
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        switch event.type {
        case "Restocked":
            guard let restocked = event.decode(Restocked.self) else { return }
            state.available += restocked.qty
        case "Reserved":
            guard let reserved = event.decode(Reserved.self) else { return }
            state.available -= reserved.qty
            state.reserved += reserved.qty
            state.pending[reserved.orderId] = Reservation(qty: reserved.qty, expiresAt: reserved.expiresAt)
        case "Confirmed", "Released", "Expired":
            guard let order = event.decode(OrderReference.self), let reservation = state.pending.removeValue(forKey: order.orderId) else { return }
            state.reserved -= reservation.qty
            if event.type == "Confirmed" {
                state.sold += reservation.qty
                state.closed[order.orderId] = "confirmed"
            } else {
                state.available += reservation.qty
                state.closed[order.orderId] = event.type == "Released" ? "released" : "expired"
            }
        case "Adjusted":
            guard let adjusted = event.decode(Adjusted.self) else { return }
            state.available += adjusted.delta
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
