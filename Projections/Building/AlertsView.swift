import EventModel

/// The `alerts` view of a building: its rules, when each rule last raised an alert for each
/// sensor (what cooldowns are measured from), the active and acknowledged alerts, and the most
/// recently resolved ones. The `record` command decides on it.
///
/// Resolved alerts leave `alerts` for `recentlyResolved`, which keeps the last
/// ``recentlyResolvedMax`` (oldest dropped first), so the state grows with rules, sensors and
/// open alerts, never with history.
public struct AlertsView: Projection {
    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// The rules by id.
        public var rules: [String: AlertRule] = [:]
        /// When each rule last raised an alert for each sensor: rule id → sensor id → the breaking
        /// reading's timestamp (ms since the epoch), the latest one when alerts came out of order.
        public var lastAlertAt: [String: [String: Int64]] = [:]
        /// Active and acknowledged alerts by id.
        public var alerts: [String: Alert] = [:]
        /// The last ``AlertsView/recentlyResolvedMax`` resolved alerts, in the order they were
        /// resolved.
        public var recentlyResolved: [Alert] = []
        /// How many alerts were ever raised; `record` numbers the next one after it.
        public var alertsRaised = 0

        public init() {}
    }

    /// An alert: which rule a reading of which sensor broke, with what value, when, and what
    /// happened to it since.
    public struct Alert: Codable, Sendable, Equatable {
        /// Where an alert stands.
        public enum Status: String, Codable, Sendable {
            case active, acknowledged, resolved
        }

        /// The alert's id.
        public var alertId: String
        /// The rule broken.
        public var ruleId: String
        /// The sensor whose reading broke it.
        public var sensorId: String
        /// The reading's value.
        public var value: Double
        /// The rule's severity.
        public var severity: AlertSeverity
        /// The reading's timestamp, ms since the epoch.
        public var raisedAt: Int64
        /// Where it stands.
        public var status: Status
        /// Who acknowledged it.
        public var acknowledgedBy: String?
        /// When it was acknowledged (the event's commit time, ms since the epoch).
        public var acknowledgedAt: Int64?
        /// When it was resolved (the event's commit time, ms since the epoch).
        public var resolvedAt: Int64?
    }

    /// How many resolved alerts the view keeps.
    public static let recentlyResolvedMax = 100

    public let name = "alerts"
    public let version = 1
    public var initialState: State { State() }

    public init() {}

    /// The id `record` gives the `number`th alert raised in a building: `alert-<number>`. Short
    /// (the schema caps ids at 128 characters, which rule id + sensor id + time could pass) and
    /// unique among the alerts `record` raises in the building.
    static func alertId(number: Int) -> String { alertIdPrefix + String(number) }

    private static let alertIdPrefix = "alert-"

    /// The number in an id ``alertId(number:)`` made, or nil.
    static func alertNumber(_ alertId: String) -> Int? {
        guard alertId.hasPrefix(alertIdPrefix), let number = Int(alertId.dropFirst(alertIdPrefix.count)), number >= 1,
            Self.alertId(number: number) == alertId
        else { return nil }
        return number
    }

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        switch event.type {
        case "AlertRuleAdded":
            // An invalid rule can only come from an append that skipped the schema; it is not
            // kept, so every rule in the view can be evaluated.
            guard let rule = event.decode(AlertRule.self), rule.violation() == nil, state.rules[rule.ruleId] == nil else { return }
            state.rules[rule.ruleId] = rule
        case "AlertRaised":
            guard let raised = event.decode(AlertRaised.self), raised.value.magnitude <= SensorReading.valueMagnitudeMax else { return }
            state.alertsRaised += 1
            if state.rules[raised.ruleId] != nil {
                let last = state.lastAlertAt[raised.ruleId]?[raised.sensorId] ?? raised.timestamp
                state.lastAlertAt[raised.ruleId, default: [:]][raised.sensorId] = max(last, raised.timestamp)
            }
            guard state.alerts[raised.alertId] == nil else { return }
            state.alerts[raised.alertId] = Alert(
                alertId: raised.alertId, ruleId: raised.ruleId, sensorId: raised.sensorId, value: raised.value, severity: raised.severity,
                raisedAt: raised.timestamp, status: .active)
        case "AlertAcknowledged":
            guard let acknowledged = event.decode(AlertAcknowledged.self), state.alerts[acknowledged.alertId]?.status == .active else { return }
            state.alerts[acknowledged.alertId]?.status = .acknowledged
            state.alerts[acknowledged.alertId]?.acknowledgedBy = acknowledged.userId
            state.alerts[acknowledged.alertId]?.acknowledgedAt = event.timeMilliseconds
        case "AlertResolved":
            guard let resolved = event.decode(AlertResolved.self), var alert = state.alerts.removeValue(forKey: resolved.alertId) else { return }
            alert.status = .resolved
            alert.resolvedAt = event.timeMilliseconds
            state.recentlyResolved.append(alert)
            if state.recentlyResolved.count > Self.recentlyResolvedMax { state.recentlyResolved.removeFirst() }
        default:
            return
        }
    }
}

extension AlertsView.State {
    /// Where the alert `alertId` stands; nil when no such alert was raised. An alert that is
    /// neither open nor among the recently resolved was resolved long ago if `record` numbered it
    /// (its number is at most ``alertsRaised``).
    func status(of alertId: String) -> AlertsView.Alert.Status? {
        if let open = alerts[alertId] { return open.status }
        if recentlyResolved.contains(where: { $0.alertId == alertId }) { return .resolved }
        guard let number = AlertsView.alertNumber(alertId), number <= alertsRaised else { return nil }
        return .resolved
    }
}
