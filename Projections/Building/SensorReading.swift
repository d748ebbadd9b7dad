import EventModel

/// One sensor reading: what `record` takes and `ReadingsRecorded` stores.
///
/// ``violation()`` holds a reading to `Schemas/building.schema.json`, so a reading that passes
/// it is stored as a valid event.
public struct SensorReading: Codable, Sendable, Equatable {
    /// The sensor, 1-128 characters.
    public var sensorId: String
    /// What the sensor measures (`temperature`, `co2`), 1-64 characters; rules match on it.
    public var sensorType: String
    /// The measured value: at most ``valueMagnitudeMax`` either side of 0.
    public var value: Double
    /// The value's unit, 1-32 characters.
    public var unit: String
    /// `good`, `uncertain` or `bad`, when the sensor says. Carried, not interpreted: readings of
    /// any quality are aggregated and checked against the rules.
    public var quality: String?
    /// When the value was measured, ms since the epoch: 0 to ``timestampMaxMilliseconds``.
    public var timestamp: Int64

    /// The largest timestamp taken: the largest integer a JSON number holds exactly (2^53 - 1),
    /// which also keeps cooldown arithmetic far from overflow.
    public static let timestampMaxMilliseconds: Int64 = 9_007_199_254_740_991
    /// The largest magnitude of a value, a threshold or a range bound: far beyond any
    /// measurement, and small enough that no sum of readings overflows to infinity (which a view
    /// could not store).
    public static let valueMagnitudeMax = 1e100
    /// The qualities a reading may state.
    public static let qualities: Set<String> = ["good", "uncertain", "bad"]

    /// A reading of `value` (in `unit`) from `sensorId`, a sensor of `sensorType`, at `timestamp`.
    public init(sensorId: String, sensorType: String, value: Double, unit: String, quality: String? = nil, timestamp: Int64) {
        self.sensorId = sensorId
        self.sensorType = sensorType
        self.value = value
        self.unit = unit
        self.quality = quality
        self.timestamp = timestamp
    }

    /// The first field that breaks the schema, and why; nil for a valid reading.
    func violation() -> (field: String, reason: String)? {
        if !sensorId.hasSchemaLength(1...128) { return ("sensorId", "must be 1 to 128 characters") }
        if !sensorType.hasSchemaLength(1...64) { return ("sensorType", "must be 1 to 64 characters") }
        if !(value.magnitude <= Self.valueMagnitudeMax) { return ("value", "must be within ±\(Self.valueMagnitudeMax), got \(value)") }
        if !unit.hasSchemaLength(1...32) { return ("unit", "must be 1 to 32 characters") }
        if let quality, !Self.qualities.contains(quality) { return ("quality", "must be good, uncertain or bad, got \(quality)") }
        if !(0...Self.timestampMaxMilliseconds).contains(timestamp) {
            return ("timestamp", "must be 0 to \(Self.timestampMaxMilliseconds) ms since the epoch, got \(timestamp)")
        }
        return nil
    }
}

extension String {
    /// Whether the length in Unicode code points, as JSON Schema's `minLength` and `maxLength`
    /// count it, is within `range`.
    func hasSchemaLength(_ range: ClosedRange<Int>) -> Bool {
        var count = 0
        for _ in unicodeScalars {
            count += 1
            if count > range.upperBound { return false }
        }
        return count >= range.lowerBound
    }
}
