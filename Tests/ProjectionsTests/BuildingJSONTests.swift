import EventModel
import Testing

@testable import Projections

/// The building's hand-written JSON (`BuildingJSON.swift`) against its `Codable` form.
@Suite("building: hand-written JSON equals the Codable form")
struct BuildingJSONTests {
    /// Strings JSON must escape, and some it need not.
    private static let strings = ["t-1", "", "quote \" and \\ backslash", "tab\tnew\nline\u{01}\u{1F}", "é 温度 🌡️", String(repeating: "x", count: 300)]
    /// Doubles whose shortest text is easy to get wrong.
    private static let doubles: [Double] = [
        0, -0.0, 1, -1, 0.1, 1.0 / 3, 21.5, 123_456_789.125, 1e-7, 5e-324, 2.2250738585072014e-308, 9_007_199_254_740_993, 1e21, 1e100, -1e100,
        Double(Int64.max), 4.35,
    ]

    private func readings(_ generator: inout SplitMix64) -> [SensorReading] {
        (0..<40).map { index in
            SensorReading(
                sensorId: Self.strings.randomElement(using: &generator)! + "\(index)", sensorType: Self.strings.randomElement(using: &generator)!,
                value: Self.doubles.randomElement(using: &generator)! * (Bool.random(using: &generator) ? 1 : Double.random(in: -2...2, using: &generator)),
                unit: Self.strings.randomElement(using: &generator)!, quality: [nil, "good", "bad", "é"].randomElement(using: &generator)!,
                timestamp: [0, 1, 1_767_225_600_123, SensorReading.timestampMaxMilliseconds].randomElement(using: &generator)!)
        }
    }

    private func buckets(_ generator: inout SplitMix64) -> [AggregateBucket] {
        (0..<20).map { index in
            var bucket = AggregateBucket(start: Int64(index) * 60_000, value: Self.doubles.randomElement(using: &generator)!)
            for _ in 0..<Int.random(in: 0..<4, using: &generator) { bucket.add(Double.random(in: -1e6...1e6, using: &generator)) }
            return bucket
        }
    }

    /// The hand-written bytes equal those the `Codable` conformance streams, parse as the tree
    /// it encodes, and decode back to the value both ways.
    private func expectSameJSON<Value: JSONBytesEncodable & Decodable & Equatable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        var writer = JSONWriter()
        value.writeJSON(into: &writer)
        let handWritten = writer.bytes
        #expect(
            String(decoding: handWritten, as: UTF8.self) == String(decoding: try JSONBytesEncoder().encode(CodableOnly(value)), as: UTF8.self),
            sourceLocation: sourceLocation)
        let tree = try handWritten.withUnsafeBytes { try JSONValue(parsing: $0) }
        #expect(tree == (try JSONValueEncoder().encode(CodableOnly(value))), sourceLocation: sourceLocation)
        #expect(try JSONValueDecoder().decode(Value.self, from: tree) == value, sourceLocation: sourceLocation)
        #expect(try JSONValueDecoder().decode(CodableOnly<Value>.self, from: tree).value == value, sourceLocation: sourceLocation)
    }

    @Test("readings, their event, buckets, groups and sensor rows write the bytes Codable writes", arguments: 0..<6)
    func encoding(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let readings = readings(&generator)
        for reading in readings { try expectSameJSON(reading) }
        var writer = JSONWriter()
        ReadingsRecorded(readings: readings).writeJSON(into: &writer)
        #expect(writer.bytes == (try JSONBytesEncoder().encode(CodableOnly(ReadingsRecorded(readings: readings)))))
        let buckets = buckets(&generator)
        for bucket in buckets { try expectSameJSON(bucket) }
        let group = BucketGroup(start: 1_767_225_600_000, buckets: buckets)
        try expectSameJSON(group)
        try expectSameJSON(AggregateRow.group(group))
        try expectSameJSON(AggregateRow.sensor(SensorAggregates(sensorType: Self.strings.randomElement(using: &generator)!, unit: "°C")))
    }

    @Test("the record command read from its tree equals its Codable decoding")
    func decoding() throws {
        var generator = SplitMix64(seed: 3)
        let readings = readings(&generator)
        let tree = try JSONValueEncoder().encode(["readings": CodableOnly(readings)])
        let fast = try #require(RecordCommand.Command(fastJSON: tree))
        #expect(fast.readings == readings)
        #expect(try JSONValueDecoder().decode(CodableOnly<RecordCommand.Command>.self, from: tree).value.readings == readings)
        // A stated null quality is no quality, as Codable reads it.
        let nullQuality: JSONValue = ["sensorId": "s", "sensorType": "t", "value": 1, "unit": "u", "quality": nil, "timestamp": 5]
        #expect(SensorReading(fastJSON: nullQuality) == (try JSONValueDecoder().decode(CodableOnly<SensorReading>.self, from: nullQuality).value))
    }

    @Test("what the hand-written reader cannot take it leaves to Codable, which names the field")
    func refusals() throws {
        let good: [String: JSONValue] = ["sensorId": "s", "sensorType": "t", "value": 1, "unit": "u", "timestamp": 5]
        let bad: [(field: String, value: JSONValue?)] = [
            ("timestamp", 1.5), ("timestamp", "5"), ("value", "1"), ("sensorId", 3), ("quality", 1), ("unit", nil), ("timestamp", 1e30),
        ]
        for (field, value) in bad {
            var members = good
            members[field] = value
            let tree = JSONValue.object(members)
            #expect(SensorReading(fastJSON: tree) == nil, "\(field): \(String(describing: value))")
            #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(SensorReading.self, from: tree) }
            #expect(RecordCommand.Command(fastJSON: ["readings": [.object(good), tree]]) == nil)
        }
        #expect(RecordCommand.Command(fastJSON: ["readings": "none"]) == nil)
        #expect(RecordCommand.Command(fastJSON: [:]) == nil)
    }
}
