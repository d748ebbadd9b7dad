import EventModel

/// `sensor-leaderboard`: buildings (main branch) by their active alerts, most first with
/// `?order=desc`. A row per building that ever raised an alert, keyed by building id; those
/// with none active leave the order (they stay readable by key).
///
/// Its bookkeeping rows, `~alert BUILDING ALERT` → `{"active": 1}`, remember which alerts are
/// open, so a resolve counts once.
public struct SensorLeaderboardView: LogProjection {
    /// Totals over every building.
    public struct State: Codable, Sendable, Equatable {
        /// Alerts active now, across buildings.
        public var activeAlerts = 0
        /// Buildings with at least one active alert.
        public var buildingsAlerting = 0
    }

    /// A building's alerts (or, under a `~alert` key, one open alert: `active` 1).
    public struct Row: Codable, Sendable, Equatable {
        /// Alerts active now.
        public var active: Int
        /// Alerts raised, ever (absent on bookkeeping rows).
        public var raised: Int?
        /// When its last alert was raised, ms since the epoch.
        public var lastRaisedAt: Int64?
    }

    public let name = "sensor-leaderboard"
    public let version = 1
    public var initialState: State { State() }
    public var objectTypes: [String]? { ["building"] }
    public var orderedBy: String? { "activeAlerts" }

    public init() {}

    public func sortKey(of row: Row) -> Int64? {
        guard row.raised != nil, row.active > 0 else { return nil }
        return Int64(row.active)
    }

    public func apply(_ state: inout State, _ rows: Rows<Row>, _ logEvent: LogEvent) {
        guard logEvent.branch == .main else { return }
        let building = logEvent.object.id.value
        let event = logEvent.event
        switch event.type {
        case "AlertRaised":
            guard let raised = event.decode(AlertRaised.self) else { return }
            let open = "~alert \(building) \(raised.alertId)"
            let isNew = rows[open] == nil
            if isNew { rows[open] = Row(active: 1) }
            rows.update(building) { row in
                var current = row ?? Row(active: 0, raised: 0)
                if isNew {
                    if current.active == 0 { state.buildingsAlerting += 1 }
                    current.active += 1
                    state.activeAlerts += 1
                }
                current.raised = (current.raised ?? 0) + 1
                current.lastRaisedAt = raised.timestamp
                row = current
            }
        case "AlertResolved":
            guard let resolved = event.decode(AlertResolved.self) else { return }
            let open = "~alert \(building) \(resolved.alertId)"
            guard rows[open] != nil else { return }
            rows[open] = nil
            state.activeAlerts -= 1
            rows.update(building) { row in
                guard var current = row else { return }
                current.active -= 1
                if current.active == 0 { state.buildingsAlerting -= 1 }
                row = current
            }
        default:
            return
        }
    }
}
