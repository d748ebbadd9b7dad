import EventModel

// The building's hot payloads and rows write their own JSON (the same their `Codable`
// conformances make, member for member), and its `record` command reads itself from its JSON
// tree: a building records readings by the hundred thousand a second, and a keyed container
// per reading would cost more than the rest of the write. `BuildingTests` checks each against
// its `Codable` form.

extension SensorReading: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"sensorId\":")
        writer.string(sensorId)
        writer.ascii(",\"sensorType\":")
        writer.string(sensorType)
        writer.ascii(",\"value\":")
        writer.number(value)
        writer.ascii(",\"unit\":")
        writer.string(unit)
        if let quality {
            writer.ascii(",\"quality\":")
            writer.string(quality)
        }
        writer.ascii(",\"timestamp\":")
        writer.integer(timestamp)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension ReadingsRecorded: JSONBytesEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"readings\":[")
        for (index, reading) in readings.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            reading.writeJSON(into: &writer)
        }
        writer.ascii("]}")
    }
}

extension AggregateBucket: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"start\":")
        writer.integer(start)
        writer.ascii(",\"min\":")
        writer.number(min)
        writer.ascii(",\"max\":")
        writer.number(max)
        writer.ascii(",\"sum\":")
        writer.number(sum)
        writer.ascii(",\"count\":")
        writer.integer(count)
        writer.ascii(",\"avg\":")
        writer.number(avg)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension BucketGroup: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"start\":")
        writer.integer(start)
        writer.ascii(",\"buckets\":[")
        for (index, bucket) in buckets.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            bucket.writeJSON(into: &writer)
        }
        writer.ascii("]}")
    }
}

extension SensorAggregates: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"sensorType\":")
        writer.string(sensorType)
        writer.ascii(",\"unit\":")
        writer.string(unit)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension AggregateRow: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        switch self {
        case .sensor(let sensor): sensor.writeJSON(into: &writer)
        case .group(let group): group.writeJSON(into: &writer)
        }
    }
}

extension SensorReading: JSONValueFastDecodable {
    public init?(fastJSON json: JSONValue) {
        guard case .object(let members) = json, case .string(let sensorId)? = members["sensorId"],
            case .string(let sensorType)? = members["sensorType"], case .number(let value)? = members["value"],
            case .string(let unit)? = members["unit"], case .number(let time)? = members["timestamp"], let timestamp = Int64(exactly: time)
        else { return nil }
        var quality: String?
        switch members["quality"] {
        case nil, .null?: quality = nil
        case .string(let given)?: quality = given
        default: return nil
        }
        self.init(sensorId: sensorId, sensorType: sensorType, value: value, unit: unit, quality: quality, timestamp: timestamp)
    }
}

extension RecordCommand.Command: JSONValueFastDecodable {
    public init?(fastJSON json: JSONValue) {
        guard case .object(let members) = json, case .array(let items)? = members["readings"] else { return nil }
        var readings: [SensorReading] = []
        readings.reserveCapacity(items.count)
        for item in items {
            guard let reading = SensorReading(fastJSON: item) else { return nil }
            readings.append(reading)
        }
        self.init(readings: readings)
    }
}
