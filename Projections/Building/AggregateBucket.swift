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

extension [AggregateBucket] {
    /// Adds `value` to the bucket starting at `start` in these buckets, which are sorted by
    /// start, keeping at most `limit` of them: when a new bucket makes one too many, the oldest
    /// goes, so a value older than every bucket of a full list is dropped.
    ///
    /// The buckets kept are always the `limit` latest starts among all values ever added, each
    /// with all of its values: a dropped bucket has `limit` newer ones, so it never comes back.
    mutating func add(_ value: Double, at start: Int64, limit: Int) {
        if let last = indices.last, self[last].start <= start {
            if self[last].start == start { self[last].add(value) } else { append(AggregateBucket(start: start, value: value)) }
        } else {
            var low = startIndex
            var high = endIndex
            while low < high {
                let middle = (low + high) / 2
                if self[middle].start < start { low = middle + 1 } else { high = middle }
            }
            if low < endIndex, self[low].start == start { self[low].add(value) } else { insert(AggregateBucket(start: start, value: value), at: low) }
        }
        if count > limit { removeFirst(count - limit) }
    }
}
