import EventModel

/// `fleet`: totals across every object on its main branch: stock across all SKUs (available,
/// reserved, sold, and the number of SKUs) and, across all buildings, readings recorded and
/// alerts raised and open.
///
/// Its rows are its bookkeeping, one per thing it must remember to close: `order SKU ORDER` →
/// the units a pending reservation holds, `alert BUILDING ALERT` → 1 for an open alert. The
/// summary stays a few numbers however many orders are open.
public struct FleetView: LogProjection {
    /// The totals.
    public struct State: Codable, Sendable, Equatable {
        /// Inventory objects seen.
        public var skus = 0
        /// Units available across every SKU.
        public var available = 0
        /// Units reserved.
        public var reserved = 0
        /// Units sold.
        public var sold = 0
        /// Reservations open.
        public var pendingOrders = 0
        /// Building objects seen.
        public var buildings = 0
        /// Sensor readings recorded.
        public var readings = 0
        /// Alerts raised, ever.
        public var alertsRaised = 0
        /// Alerts not resolved yet.
        public var openAlerts = 0
    }

    /// Units of a pending order, or 1 for an open alert.
    public typealias Row = Int

    public let name = "fleet"
    public let version = 2
    public var initialState: State { State() }
    public var objectTypes: [String]? { ["inventory", "building"] }

    public init() {}

    public func apply(_ state: inout State, _ rows: Rows<Int>, _ logEvent: LogEvent) {
        guard logEvent.branch == .main else { return }
        let object = logEvent.object
        let event = logEvent.event
        // An object's first event on main is its first ever: count it then.
        if event.seq == 1 {
            if object.type.name == "inventory" { state.skus += 1 } else { state.buildings += 1 }
        }
        switch event.type {
        case "Restocked":
            guard let restocked = event.decode(Restocked.self) else { return }
            state.available += restocked.qty
        case "Adjusted":
            guard let adjusted = event.decode(Adjusted.self) else { return }
            state.available += adjusted.delta
        case "Reserved":
            guard let reserved = event.decode(Reserved.self) else { return }
            let key = "order \(object.id.value) \(reserved.orderId)"
            // A second reservation of an open order replaces the first.
            if let previous = rows[key] {
                state.available += previous
                state.reserved -= previous
                state.pendingOrders -= 1
            }
            state.available -= reserved.qty
            state.reserved += reserved.qty
            state.pendingOrders += 1
            rows[key] = reserved.qty
        case "Confirmed", "Released", "Expired":
            guard let closed = event.decode(OrderReference.self) else { return }
            let key = "order \(object.id.value) \(closed.orderId)"
            guard let qty = rows[key] else { return }
            rows[key] = nil
            state.reserved -= qty
            state.pendingOrders -= 1
            if event.type == "Confirmed" { state.sold += qty } else { state.available += qty }
        case "ReadingsRecorded":
            if case .array(let readings)? = event.data["readings"] { state.readings += readings.count }
        case "AlertRaised":
            guard let id = event.data["alertId"]?.stringValue else { return }
            state.alertsRaised += 1
            let key = "alert \(object.id.value) \(id)"
            if rows[key] == nil { state.openAlerts += 1 }
            rows[key] = 1
        case "AlertResolved":
            guard let id = event.data["alertId"]?.stringValue else { return }
            let key = "alert \(object.id.value) \(id)"
            guard rows[key] != nil else { return }
            rows[key] = nil
            state.openAlerts -= 1
        default:
            return
        }
    }
}
