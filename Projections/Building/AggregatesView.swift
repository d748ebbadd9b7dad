import EventModel

/// The `aggregates` view of a building: for each sensor, the min, max, sum, count and average of
/// its readings per minute and per hour, bucketed by the reading's own timestamp (so late
/// readings land where they belong).
///
/// Keyed: each sensor is a row (`SENSOR` → its type and unit, as of the latest reading that
/// started one of its groups of minute buckets), and so are its buckets, in
/// groups: ten minutes of minute buckets under `SENSOR/m/START`, six hours of hour buckets under
/// `SENSOR/h/START` (START zero-padded to 17 digits so keys sort by time). Recording a reading
/// changes three rows whatever the building's history, and a checkpoint writes each group once
/// however many readings it took. Buckets are kept; ``read(_:summary:rows:)`` pages through one
/// sensor's buckets over a time range.
public struct AggregatesView: KeyedProjection {
    /// What the building has seen.
    public struct Summary: Codable, Sendable, Equatable {
        /// Sensors that recorded a reading.
        public var sensors = 0
        /// Readings recorded.
        public var readings = 0

        public init() {}
    }

    public typealias Row = AggregateRow

    /// The resolution of a bucket.
    public enum Resolution: String, Sendable, CaseIterable {
        case minute, hour

        /// A bucket's length, ms.
        var milliseconds: Int64 { self == .minute ? 60_000 : 3_600_000 }
        /// A group's length, ms: ten minutes, six hours.
        var groupMilliseconds: Int64 { self == .minute ? 600_000 : 21_600_000 }
        /// Its letter in keys.
        var letter: String { self == .minute ? "m" : "h" }
    }

    public let name = "aggregates"
    public let version = 2
    public var initialSummary: Summary { Summary() }
    public var eventTypes: [String]? { ["ReadingsRecorded"] }

    public init() {}

    public func apply(_ summary: inout Summary, _ rows: Rows<AggregateRow>, _ event: RecordedEvent) {
        guard let recorded = event.decode(ReadingsRecorded.self) else { return }
        // A value out of range can only come from an append that skipped the schema; summing it
        // could make a state that cannot be stored.
        for reading in recorded.readings where reading.value.magnitude <= SensorReading.valueMagnitudeMax {
            let sensorKey = Self.sensorKey(reading.sensorId)
            var startsGroup = false
            for resolution in Resolution.allCases {
                let start = reading.timestamp - reading.timestamp % resolution.milliseconds
                let groupStart = reading.timestamp - reading.timestamp % resolution.groupMilliseconds
                rows.update(Self.groupKey(sensorKey: sensorKey, resolution: resolution, start: groupStart)) { row in
                    var group = BucketGroup(start: groupStart, buckets: [])
                    if case .group(let existing)? = row {
                        // Taken out of the row first, so the buckets are changed in place.
                        row = nil
                        group = existing
                    } else if resolution == .minute {
                        startsGroup = true
                    }
                    group.add(reading.value, at: start)
                    row = .group(group)
                }
            }
            // The sensor's row is looked at when a reading starts a group of minutes, not on
            // every reading: its type and unit are those of such a reading.
            if startsGroup {
                let sensor = SensorAggregates(sensorType: reading.sensorType, unit: reading.unit)
                switch rows[sensorKey] {
                case .sensor(sensor)?: break
                case .sensor?: rows[sensorKey] = .sensor(sensor)
                default:
                    rows[sensorKey] = .sensor(sensor)
                    summary.sensors += 1
                }
            }
            summary.readings += 1
        }
    }

    /// `?sensor=ID&resolution=minute|hour&from=MS&to=MS&limit=N&after=MS`: the sensor's buckets
    /// that start from `from`'s bucket up to before `to` (either may be left out), oldest
    /// first, at most `limit` (1,000 by default, 10,000 at most), after the bucket starting at
    /// `after` when paging: `{"sensor", "sensorType", "unit", "resolution", "buckets", "next"}`,
    /// `next` the `after` of the next page (null on the last).
    public func read(_ parameters: [String: String], summary: Summary, rows: RowReader<AggregateRow>) -> Result<JSONValue, Rejection>? {
        guard let sensorId = parameters["sensor"] else { return nil }
        guard let resolution = Resolution(rawValue: parameters["resolution"] ?? "minute") else {
            return .failure(Self.badParameter("resolution", "must be minute or hour, got \(parameters["resolution"] ?? "")"))
        }
        var numbers: [String: Int64] = [:]
        for name in ["from", "to", "after", "limit"] {
            guard let text = parameters[name] else { continue }
            guard let value = Int64(text), value >= 0, value <= SensorReading.timestampMaxMilliseconds else {
                return .failure(Self.badParameter(name, "must be a whole number from 0 to \(SensorReading.timestampMaxMilliseconds), got \(text)"))
            }
            numbers[name] = value
        }
        let limit = Int(numbers["limit"] ?? 1_000)
        guard (1...10_000).contains(limit) else { return .failure(Self.badParameter("limit", "must be 1 to 10000, got \(limit)")) }
        let sensorKey = Self.sensorKey(sensorId)
        guard case .sensor(let sensor)? = rows[sensorKey] else {
            return .failure(
                Rejection(code: "SENSOR_NOT_FOUND", status: 404, message: "the building has no readings of sensor \(sensorId)", facts: ["field": "sensor"]))
        }
        let first = max(numbers["from"].map { $0 - $0 % resolution.milliseconds } ?? 0, numbers["after"].map { $0 + 1 } ?? 0)
        let end = numbers["to"] ?? .max
        let prefix = sensorKey + "/" + resolution.letter + "/"
        let firstGroup = first - first % resolution.groupMilliseconds
        var group = firstGroup > 0
            ? rows.next(after: Self.groupKey(sensorKey: sensorKey, resolution: resolution, start: firstGroup - 1), within: prefix)
            : rows.next(after: prefix, within: prefix)
        var buckets: [AggregateBucket] = []
        var more = false
        scan: while let current = group, case .group(let stored) = current.row, stored.start < end {
            for bucket in stored.buckets where bucket.start >= first && bucket.start < end {
                guard buckets.count < limit else {
                    more = true
                    break scan
                }
                buckets.append(bucket)
            }
            group = rows.next(after: current.key, within: prefix)
        }
        let encoded = (try? JSONValueEncoder().encode(buckets)) ?? []
        return .success([
            "sensor": .string(sensorId), "sensorType": .string(sensor.sensorType), "unit": .string(sensor.unit),
            "resolution": .string(resolution.rawValue), "buckets": encoded,
            "next": more ? .number(Double(buckets.last?.start ?? 0)) : .null,
        ])
    }

    private static func badParameter(_ name: String, _ reason: String) -> Rejection {
        Rejection(code: "INVALID_QUERY", status: 400, message: "\(name) \(reason)", facts: ["field": .string(name)])
    }

    /// The row key of a sensor: its id with `%` and `/` escaped (`%25`, `%2F`), or, past 128
    /// bytes, `~` and a 64-bit hash of it, so keys stay short and `SENSOR/` prefixes one sensor.
    public static func sensorKey(_ sensorId: String) -> String {
        if sensorId.utf8.count <= 128, !sensorId.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }) { return sensorId }
        var key = ""
        for character in sensorId.unicodeScalars {
            switch character {
            case "%": key += "%25"
            case "/": key += "%2F"
            default: key.unicodeScalars.append(character)
            }
        }
        guard key.utf8.count > 128 else { return key }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sensorId.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        let digits = String(hash, radix: 16)
        return "~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The row key of the group of `resolution` buckets starting at `start` of the sensor
    /// `sensorKey`.
    public static func groupKey(sensorKey: String, resolution: Resolution, start: Int64) -> String {
        var key: [UInt8] = []
        key.reserveCapacity(sensorKey.utf8.count + 20)
        key.append(contentsOf: sensorKey.utf8)
        key.append(UInt8(ascii: "/"))
        key.append(resolution == .minute ? UInt8(ascii: "m") : UInt8(ascii: "h"))
        key.append(UInt8(ascii: "/"))
        // 17 digits, zero-padded, so keys sort by time.
        var rest = UInt64(max(0, start))
        let end = key.count + 17
        key.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 17))
        var index = end - 1
        while rest > 0, index >= end - 17 {
            key[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
        return String(decoding: key, as: UTF8.self)
    }
}

/// A sensor's type and unit, as of the latest of its readings that started a group of minute
/// buckets: the row `SENSOR` of ``AggregatesView``.
public struct SensorAggregates: Codable, Sendable, Equatable {
    /// Its sensor type.
    public var sensorType: String
    /// Its unit.
    public var unit: String
}

/// Consecutive buckets of one sensor: ten minutes of minute buckets, or six hours of hour
/// buckets, sorted by start.
public struct BucketGroup: Codable, Sendable, Equatable {
    /// The group's first instant, ms since the epoch.
    public var start: Int64
    /// Its buckets that have readings, oldest first.
    public var buckets: [AggregateBucket]

    /// Adds `value` to the bucket starting at `start`.
    mutating func add(_ value: Double, at start: Int64) {
        if let last = buckets.indices.last, buckets[last].start <= start {
            if buckets[last].start == start { buckets[last].add(value) } else { buckets.append(AggregateBucket(start: start, value: value)) }
            return
        }
        var low = 0
        var high = buckets.count
        while low < high {
            let middle = (low + high) / 2
            if buckets[middle].start < start { low = middle + 1 } else { high = middle }
        }
        if low < buckets.count, buckets[low].start == start { buckets[low].add(value) } else { buckets.insert(AggregateBucket(start: start, value: value), at: low) }
    }
}

/// A row of ``AggregatesView``: a sensor, or a group of its buckets; as JSON, the sensor's or
/// the group's own members (a group has `buckets`).
public enum AggregateRow: Codable, Sendable, Equatable {
    case sensor(SensorAggregates)
    case group(BucketGroup)

    private enum Probe: String, CodingKey { case buckets }

    public init(from decoder: any Decoder) throws {
        if try decoder.container(keyedBy: Probe.self).contains(.buckets) {
            self = .group(try BucketGroup(from: decoder))
        } else {
            self = .sensor(try SensorAggregates(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .sensor(let sensor): try sensor.encode(to: encoder)
        case .group(let group): try group.encode(to: encoder)
        }
    }
}
