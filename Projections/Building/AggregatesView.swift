import EventModel

/// The `aggregates` view of a building: for each sensor, the min, max, sum, count and average of
/// its readings per minute and per hour, bucketed by the reading's own timestamp (so late
/// readings land where they belong).
///
/// Bounded: each sensor keeps its latest ``minuteBucketsMax`` minute buckets and
/// ``hourBucketsMax`` hour buckets that have readings (a day of minutes, a week of hours when it
/// reports steadily); older buckets are dropped, and a reading older than every bucket of a full
/// list is not counted in it.
public struct AggregatesView: Projection {
    /// The state.
    public struct State: Codable, Sendable, Equatable {
        /// The sensors by id.
        public var sensors: [String: Sensor] = [:]

        public init() {}
    }

    /// One sensor's aggregates.
    public struct Sensor: Codable, Sendable, Equatable {
        /// The sensor type of its last recorded reading.
        public var sensorType: String
        /// The unit of its last recorded reading.
        public var unit: String
        /// Its minute buckets, oldest first.
        public var minutes: [AggregateBucket] = []
        /// Its hour buckets, oldest first.
        public var hours: [AggregateBucket] = []

        /// Adds `reading` to its minute and hour buckets.
        mutating func add(_ reading: SensorReading) {
            sensorType = reading.sensorType
            unit = reading.unit
            let timestamp = reading.timestamp
            minutes.add(reading.value, at: timestamp - timestamp % AggregatesView.minuteMilliseconds, limit: AggregatesView.minuteBucketsMax)
            hours.add(reading.value, at: timestamp - timestamp % AggregatesView.hourMilliseconds, limit: AggregatesView.hourBucketsMax)
        }
    }

    /// The minute buckets kept per sensor: a day's worth.
    public static let minuteBucketsMax = 1_440
    /// The hour buckets kept per sensor: a week's worth.
    public static let hourBucketsMax = 168
    static let minuteMilliseconds: Int64 = 60_000
    static let hourMilliseconds: Int64 = 3_600_000

    public let name = "aggregates"
    public let version = 1
    public var initialState: State { State() }

    public init() {}

    public func apply(_ state: inout State, _ event: RecordedEvent) {
        guard event.type == "ReadingsRecorded", let recorded = event.decode(ReadingsRecorded.self) else { return }
        // A value out of range can only come from an append that skipped the schema; summing it
        // could make a state that cannot be stored.
        for reading in recorded.readings where reading.value.magnitude <= SensorReading.valueMagnitudeMax {
            state.sensors[reading.sensorId, default: Sensor(sensorType: reading.sensorType, unit: reading.unit)].add(reading)
        }
    }
}
