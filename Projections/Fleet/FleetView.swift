import EventModel

/// `fleet`: totals across every object on its main branch: stock across all SKUs (available,
/// reserved, sold, and the number of SKUs) and, across all buildings, readings recorded and
/// alerts raised, open and resolved.
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
        /// Open reservations, `sku order` → quantity (needed to close them).
        public var pending: [String: Int] = [:]
        /// Building objects seen.
        public var buildings = 0
        /// Sensor readings recorded.
        public var readings = 0
        /// Alerts raised, ever.
        public var alertsRaised = 0
        /// Alerts not resolved yet, by `building alertId`.
        public var openAlerts: [String: Bool] = [:]
    }

    public let name = "fleet"
    public let version = 1
    public var initialState: State { State() }
    public var objectTypes: [String]? { ["inventory", "building"] }

    public init() {}

    public func apply(_ state: inout State, _ logEvent: LogEvent) {
        guard logEvent.branch == .main else { return }
        let object = logEvent.object
        let event = logEvent.event
        // An object's first event on main is its first ever: count it then.
        if event.seq == 1 {
            if object.type.name == "inventory" { state.skus += 1 } else { state.buildings += 1 }
        }
        let key = "\(object.id.value) \(event.data["orderId"]?.stringValue ?? "")"
        switch event.type {
        case "Restocked": state.available += event.data["qty"]?.integerValue ?? 0
        case "Adjusted": state.available += event.data["delta"]?.integerValue ?? 0
        case "Reserved":
            let qty = event.data["qty"]?.integerValue ?? 0
            state.available -= qty
            state.reserved += qty
            state.pending[key] = qty
        case "Confirmed", "Released", "Expired":
            guard let qty = state.pending.removeValue(forKey: key) else { return }
            state.reserved -= qty
            if event.type == "Confirmed" { state.sold += qty } else { state.available += qty }
        case "ReadingsRecorded":
            if case .array(let readings)? = event.data["readings"] { state.readings += readings.count }
        case "AlertRaised":
            state.alertsRaised += 1
            if let id = event.data["alertId"]?.stringValue { state.openAlerts["\(object.id.value) \(id)"] = true }
        case "AlertResolved":
            if let id = event.data["alertId"]?.stringValue { state.openAlerts["\(object.id.value) \(id)"] = nil }
        default:
            return
        }
    }
}
