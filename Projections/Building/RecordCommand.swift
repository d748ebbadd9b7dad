import EventModel

/// `record {readings: [{sensorId, sensorType, value, unit, quality?, timestamp}]}`: stores 1 to
/// ``readingsMax`` readings as one `ReadingsRecorded` event and, in the same append, an
/// `AlertRaised` for every rule a reading breaks outside its cooldown (see
/// ``AlertsView/State`` and ``AlertRule``).
///
/// Refusals (422): `NO_READINGS`; `TOO_MANY_READINGS` with `count` and `max`; `INVALID_READING`
/// with the reading's `index`, the `field` and the `reason`.
public struct RecordCommand: Decider {
    /// The command's body.
    public struct Command: Codable, Sendable {
        /// The readings, in any order.
        public var readings: [SensorReading]
    }

    /// The most readings one command records.
    public static let readingsMax = 5_000

    public let name = "record"
    public let source = AlertsView()
    public init() {}

    public func decide(_ command: Command, state: AlertsView.State, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard !command.readings.isEmpty else {
            return .failure(Rejection(code: "NO_READINGS", status: 422, message: "readings must hold at least one reading"))
        }
        guard command.readings.count <= Self.readingsMax else {
            return .failure(
                Rejection(
                    code: "TOO_MANY_READINGS", status: 422, message: "\(command.readings.count) readings, at most \(Self.readingsMax) per command",
                    facts: ["count": .number(Double(command.readings.count)), "max": .number(Double(Self.readingsMax))]))
        }
        for (index, reading) in command.readings.enumerated() {
            guard let (field, reason) = reading.violation() else { continue }
            return .failure(
                Rejection(
                    code: "INVALID_READING", status: 422, message: "/readings/\(index)/\(field) \(reason)",
                    facts: ["index": .number(Double(index)), "field": .string(field), "reason": .string(reason)]))
        }
        let alerts = state.newAlerts(for: command.readings)
        return events {
            try [NewEvent(type: "ReadingsRecorded", payload: ReadingsRecorded(readings: command.readings))]
                + alerts.map { try NewEvent(type: "AlertRaised", payload: $0) }
        }
    }
}
