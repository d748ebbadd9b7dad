import EventModel

/// What a rule compares a reading's value with; the rule is broken when the comparison holds.
public enum AlertCondition: String, Codable, Sendable, CaseIterable {
    /// value > threshold
    case gt
    /// value < threshold
    case lt
    /// value >= threshold
    case gte
    /// value <= threshold
    case lte
    /// value == threshold
    case eq
    /// value != threshold
    case neq
    /// value < min or value > max
    case rangeOutside = "range_outside"
}

/// How serious an alert is.
public enum AlertSeverity: String, Codable, Sendable, CaseIterable {
    case info, warning, critical
}

/// An alert rule, as `addRule` takes it and `AlertRuleAdded` stores it: a reading of
/// `sensorType` (from `sensorId` only, when given) whose value meets `condition` raises an alert
/// of `severity`, unless the rule is cooling down for that sensor.
///
/// Cooldown is measured on reading timestamps, never on a clock, so the same readings raise the
/// same alerts whenever they are recorded: after the rule raises an alert for a sensor at time
/// `t`, readings of that sensor stamped before `t + cooldownSeconds` (at least `t + 1 ms`)
/// raise nothing, late readings stamped before `t` included. So a rule raises at most one alert
/// per sensor per millisecond, and its alerts for a sensor go forward in time.
public struct AlertRule: Codable, Sendable, Equatable {
    /// The rule's id, 1-128 characters.
    public var ruleId: String
    /// The sensor type it watches, 1-64 characters.
    public var sensorType: String
    /// The one sensor it watches (1-128 characters); every sensor of `sensorType` when nil.
    public var sensorId: String?
    /// The comparison that breaks it.
    public var condition: AlertCondition
    /// The value compared with, for every condition but `range_outside`.
    public var threshold: Double?
    /// The lowest value inside the range, for `range_outside` only.
    public var min: Double?
    /// The highest value inside the range, for `range_outside` only; not below `min`.
    public var max: Double?
    /// The severity of the alerts it raises.
    public var severity: AlertSeverity
    /// How long after an alert the rule stays quiet for that sensor: 0 to ``cooldownSecondsMax``.
    public var cooldownSeconds: Int

    /// The longest cooldown taken: one year.
    public static let cooldownSecondsMax = 31_536_000

    /// The first field that makes the rule unusable or breaks the schema, and why; nil for a
    /// valid rule.
    func violation() -> (field: String, reason: String)? {
        if !ruleId.hasSchemaLength(1...128) { return ("ruleId", "must be 1 to 128 characters") }
        if !sensorType.hasSchemaLength(1...64) { return ("sensorType", "must be 1 to 64 characters") }
        if let sensorId, !sensorId.hasSchemaLength(1...128) { return ("sensorId", "must be 1 to 128 characters") }
        for (field, number) in [("threshold", threshold), ("min", min), ("max", max)] {
            if let number, !(number.magnitude <= SensorReading.valueMagnitudeMax) {
                return (field, "must be within ±\(SensorReading.valueMagnitudeMax), got \(number)")
            }
        }
        if condition == .rangeOutside {
            guard let min, let max else { return (self.min == nil ? "min" : "max", "range_outside needs both min and max") }
            if threshold != nil { return ("threshold", "range_outside takes min and max, not a threshold") }
            if min > max { return ("min", "min (\(min)) must not be above max (\(max))") }
        } else {
            if threshold == nil { return ("threshold", "\(condition.rawValue) needs a threshold") }
            if min != nil || max != nil { return (min != nil ? "min" : "max", "\(condition.rawValue) takes a threshold, not min and max") }
        }
        if !(0...Self.cooldownSecondsMax).contains(cooldownSeconds) {
            return ("cooldownSeconds", "must be 0 to \(Self.cooldownSecondsMax), got \(cooldownSeconds)")
        }
        return nil
    }

    /// Whether the rule watches `reading`'s sensor.
    func watches(_ reading: SensorReading) -> Bool {
        reading.sensorType == sensorType && (sensorId == nil || sensorId == reading.sensorId)
    }

    /// Whether `value` breaks the rule. A rule missing the numbers its condition needs (which
    /// ``violation()`` refuses) is never broken.
    func isBroken(by value: Double) -> Bool {
        if condition == .rangeOutside {
            guard let min, let max else { return false }
            return value < min || value > max
        }
        guard let threshold else { return false }
        switch condition {
        case .gt: return value > threshold
        case .lt: return value < threshold
        case .gte: return value >= threshold
        case .lte: return value <= threshold
        case .eq: return value == threshold
        case .neq: return value != threshold
        case .rangeOutside: return false
        }
    }

    /// Whether the rule is cooling down, for a reading stamped `timestamp`, after its last alert
    /// for that sensor at `lastAlertAt` (nil: it never raised one).
    func isCoolingDown(at timestamp: Int64, lastAlertAt: Int64?) -> Bool {
        guard let lastAlertAt else { return false }
        // An event appended directly may carry any timestamp: past the end of time, it is always
        // cooling down.
        let (end, overflow) = lastAlertAt.addingReportingOverflow(Swift.max(Int64(cooldownSeconds) * 1_000, 1))
        return overflow || timestamp < end
    }
}
