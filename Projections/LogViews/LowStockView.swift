import EventModel

/// `low-stock`: every SKU's available units and reorder point (main branch), keyed by SKU id;
/// those under their reorder point are in its order by shortfall (`?order=desc`: most short
/// first), kept as stock changes.
///
/// Its bookkeeping rows, `~order SKU ORDER` → `{"qty"}`, hold the units of each pending
/// reservation, which its release or expiry gives back.
public struct LowStockView: LogProjection {
    /// Totals.
    public struct State: Codable, Sendable, Equatable {
        /// SKUs under their reorder point now.
        public var lowSkus = 0
    }

    /// A SKU's stock (or, under a `~order` key, a pending reservation's units: `qty`).
    public struct Row: Codable, Sendable, Equatable {
        /// Units available.
        public var available: Int?
        /// Its reorder point (0: none set).
        public var reorderPoint: Int?
        /// A pending reservation's units.
        public var qty: Int?

        /// Whether a SKU's row is under its reorder point.
        var isLow: Bool {
            guard let available, let reorderPoint else { return false }
            return available < reorderPoint
        }
    }

    public let name = "low-stock"
    public let version = 1
    public var initialState: State { State() }
    public var objectTypes: [String]? { ["inventory"] }
    public var orderedBy: String? { "shortfall" }

    public init() {}

    /// The units missing to reach the reorder point.
    public func sortKey(of row: Row) -> Int64? {
        guard row.isLow, let available = row.available, let point = row.reorderPoint else { return nil }
        return Int64(point - available)
    }

    public func apply(_ state: inout State, _ rows: Rows<Row>, _ logEvent: LogEvent) {
        guard logEvent.branch == .main else { return }
        let sku = logEvent.object.id.value
        let event = logEvent.event
        var delta = 0
        var reorderPoint: Int?
        switch event.type {
        case "Restocked":
            guard let restocked = event.decode(Restocked.self) else { return }
            delta = restocked.qty
        case "Adjusted":
            guard let adjusted = event.decode(Adjusted.self) else { return }
            delta = adjusted.delta
        case "Reserved":
            guard let reserved = event.decode(Reserved.self) else { return }
            let key = "~order \(sku) \(reserved.orderId)"
            // A second reservation of an open order replaces the first.
            delta = (rows[key]?.qty ?? 0) - reserved.qty
            rows[key] = Row(qty: reserved.qty)
        case "Released", "Expired", "Confirmed":
            guard let closed = event.decode(OrderReference.self) else { return }
            let key = "~order \(sku) \(closed.orderId)"
            guard let qty = rows[key]?.qty else { return }
            rows[key] = nil
            if event.type != "Confirmed" { delta = qty }
        case "ReorderPointSet":
            guard let set = event.decode(ReorderPointSet.self) else { return }
            reorderPoint = set.point
        default:
            return
        }
        rows.update(sku) { row in
            var current = row ?? Row(available: 0, reorderPoint: 0)
            let wasLow = current.isLow
            current.available = (current.available ?? 0) + delta
            if let reorderPoint { current.reorderPoint = reorderPoint }
            if current.isLow != wasLow { state.lowSkus += current.isLow ? 1 : -1 }
            row = current
        }
    }
}
