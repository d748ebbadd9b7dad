import EventModel

/// `acknowledge {alertId, userId}`: someone has seen an active alert (`AlertAcknowledged`).
///
/// Refusals: `ALERT_NOT_FOUND` (404); `INVALID_STATUS` (409) with the `status` when the alert is
/// acknowledged or resolved already; `INVALID_COMMAND` (422) for a `userId` that is not 1-128
/// characters.
public struct AcknowledgeCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The alert.
        public var alertId: String
        /// Who has seen it.
        public var userId: String
    }

    public let name = "acknowledge"
    public let source = AlertsView()
    public init() {}

    public func decide(_ command: Command, state: AlertsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard command.userId.hasSchemaLength(1...128) else {
            return .failure(
                Rejection(code: "INVALID_COMMAND", status: 422, message: "/userId must be 1 to 128 characters", facts: ["pointer": "/userId"]))
        }
        if let refusal = refusal(alertId: command.alertId, state: state, allowed: [.active]) { return .failure(refusal) }
        return events { [try NewEvent(type: "AlertAcknowledged", payload: AlertAcknowledged(alertId: command.alertId, userId: command.userId))] }
    }
}

/// `resolve {alertId}`: an active or acknowledged alert is over (`AlertResolved`).
///
/// Refusals: `ALERT_NOT_FOUND` (404); `INVALID_STATUS` (409) with the `status` when the alert is
/// resolved already.
public struct ResolveCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The alert.
        public var alertId: String
    }

    public let name = "resolve"
    public let source = AlertsView()
    public init() {}

    public func decide(_ command: Command, state: AlertsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let refusal = refusal(alertId: command.alertId, state: state, allowed: [.active, .acknowledged]) { return .failure(refusal) }
        return events { [try NewEvent(type: "AlertResolved", payload: AlertResolved(alertId: command.alertId))] }
    }
}

/// Why a command on `alertId` cannot run when the alert's status is not in `allowed`; nil when
/// it can.
private func refusal(alertId: String, state: AlertsView.State, allowed: Set<AlertsView.Alert.Status>) -> Rejection? {
    guard let status = state.status(of: alertId) else {
        return Rejection(code: "ALERT_NOT_FOUND", status: 404, message: "no alert \(alertId)", facts: ["alertId": .string(alertId)])
    }
    guard allowed.contains(status) else {
        return Rejection(
            code: "INVALID_STATUS", message: "alert \(alertId) is \(status.rawValue) already",
            facts: ["alertId": .string(alertId), "status": .string(status.rawValue)])
    }
    return nil
}
