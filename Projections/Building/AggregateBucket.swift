import EventModel

/// The readings of one sensor within one minute or one hour: their min, max, sum, count and
/// average.
public struct AggregateBucket: Codable, Sendable, Equatable {
    /// The bucket's first instant, ms since the epoch: a reading's timestamp floored to the
    /// minute or the hour.
    public var start: Int64
    /// The smallest value.
    public var min: Double
    /// The largest value.
    public var max: Double
    /// The values added up in the order they were recorded.
    public var sum: Double
    /// How many readings.
    public var count: Int
    /// `sum / count`.
    public var avg: Double

    /// A bucket holding one value.
    init(start: Int64, value: Double) {
        self.start = start
        min = value
        max = value
        sum = value
        count = 1
        avg = value
    }

    /// Adds one value.
    mutating func add(_ value: Double) {
        min = Swift.min(min, value)
        max = Swift.max(max, value)
        sum += value
        count += 1
        avg = sum / Double(count)
    }
}
