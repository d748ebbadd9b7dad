import EventModel

/// `addRule {ruleId?, sensorType, sensorId?, condition, threshold | min+max, severity,
/// cooldownSeconds}`: adds an alert rule (an `AlertRuleAdded` event), evaluated from the next
/// `record` on. Without a `ruleId`, the rule is named `rule-<n>`, n the first number from the
/// rule count + 1 not taken.
///
/// Refusals: `INVALID_RULE` (422) with the `field` and the `reason` (an unknown condition or
/// severity, `range_outside` without min and max, min above max, a threshold missing, a
/// cooldown out of range...); `RULE_EXISTS` (409) with the `ruleId`; `TOO_MANY_RULES` (409) with
/// the `max`, past ``rulesMax`` rules.
public struct AddRuleCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The rule's id; a free `rule-<n>` when nil.
        public var ruleId: String?
        /// The sensor type it watches.
        public var sensorType: String
        /// The one sensor it watches; every sensor of the type when nil.
        public var sensorId: String?
        /// `gt`, `lt`, `gte`, `lte`, `eq`, `neq` or `range_outside`.
        public var condition: String
        /// The value compared with, for every condition but `range_outside`.
        public var threshold: Double?
        /// The range's low end, for `range_outside`.
        public var min: Double?
        /// The range's high end, for `range_outside`.
        public var max: Double?
        /// `info`, `warning` or `critical`.
        public var severity: String
        /// How long the rule stays quiet for a sensor after alerting on it.
        public var cooldownSeconds: Int
    }

    /// The most rules a building holds: each recorded reading is checked against the rules of
    /// its sensor type.
    public static let rulesMax = 1_000

    public let name = "addRule"
    public let source = AlertsView()
    public init() {}

    public func decide(_ command: Command, state: AlertsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard let condition = AlertCondition(rawValue: command.condition) else {
            let names = AlertCondition.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(invalidRule("condition", "must be one of \(names), got \(command.condition)"))
        }
        guard let severity = AlertSeverity(rawValue: command.severity) else {
            let names = AlertSeverity.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(invalidRule("severity", "must be one of \(names), got \(command.severity)"))
        }
        let rule = AlertRule(
            ruleId: command.ruleId ?? Self.freeRuleId(in: state), sensorType: command.sensorType, sensorId: command.sensorId,
            condition: condition, threshold: command.threshold, min: command.min, max: command.max, severity: severity,
            cooldownSeconds: command.cooldownSeconds)
        if let (field, reason) = rule.violation() { return .failure(invalidRule(field, reason)) }
        guard state.rules[rule.ruleId] == nil else {
            return .failure(Rejection(code: "RULE_EXISTS", message: "rule \(rule.ruleId) exists already", facts: ["ruleId": .string(rule.ruleId)]))
        }
        guard state.rules.count < Self.rulesMax else {
            return .failure(
                Rejection(
                    code: "TOO_MANY_RULES", message: "a building holds at most \(Self.rulesMax) rules", facts: ["max": .number(Double(Self.rulesMax))]
                ))
        }
        return events { [try NewEvent(type: "AlertRuleAdded", payload: rule)] }
    }

    private func invalidRule(_ field: String, _ reason: String) -> Rejection {
        Rejection(code: "INVALID_RULE", status: 422, message: "\(field) \(reason)", facts: ["field": .string(field), "reason": .string(reason)])
    }

    /// `rule-<n>` for the first n from the rule count + 1 that no rule has.
    private static func freeRuleId(in state: AlertsView.State) -> String {
        var number = state.rules.count + 1
        while state.rules["rule-\(number)"] != nil { number += 1 }
        return "rule-\(number)"
    }
}
