import EventModel

// The data of building events, as `Schemas/building.schema.json` declares them. `AlertRuleAdded`
// carries an ``AlertRule``; `ReadingsRecorded` carries ``SensorReading``s.

/// A batch of readings, recorded as one event.
struct ReadingsRecorded: Codable, Sendable {
    var readings: [SensorReading]
}

/// A rule broken by a reading: the alert it raised.
struct AlertRaised: Codable, Sendable, Equatable {
    var alertId: String
    var ruleId: String
    var sensorId: String
    var value: Double
    var severity: AlertSeverity
    /// The breaking reading's timestamp, ms since the epoch.
    var timestamp: Int64
}

/// Someone has seen an active alert.
struct AlertAcknowledged: Codable, Sendable {
    var alertId: String
    var userId: String
}

/// An alert is over.
struct AlertResolved: Codable, Sendable {
    var alertId: String
}
