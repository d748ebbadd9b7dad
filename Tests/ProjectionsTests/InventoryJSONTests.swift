import EventModel
import Testing

@testable import Projections

/// The inventory's hand-written event JSON (`InventoryJSON.swift`) against its `Codable` form.
@Suite("inventory: hand-written event JSON and tree decoding equal the Codable forms")
struct InventoryJSONTests {
    private static let texts = ["o-1", "", "quote \" and \\ backslash", "tab\tnew\nline\u{01}", "é 注文 📦", String(repeating: "x", count: 200)]
    /// Whole numbers a JSON number holds exactly (within 2^53), as the schemas bound them.
    private static let integers = [0, 1, -1, 42, 1_000_000_000, Int(Int32.max), 1_796_461_889_997, -9_007_199_254_740_991]

    /// The hand-written bytes equal those the `Codable` conformance streams, and read back
    /// through `Codable` they write the same bytes again.
    private func expectSameJSON<Value: JSONBytesEncodable & Decodable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var writer = JSONWriter()
        value.writeJSON(into: &writer)
        let codable = try JSONBytesEncoder().encode(CodableOnly(value))
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: codable, as: UTF8.self), sourceLocation: sourceLocation)
        let tree = try writer.bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
        let decoded = try JSONValueDecoder().decode(CodableOnly<Value>.self, from: tree)
        var again = JSONWriter()
        decoded.value.writeJSON(into: &again)
        #expect(again.bytes == writer.bytes, sourceLocation: sourceLocation)
    }

    @Test("Restocked, Reserved, Confirmed/Released/Expired, Adjusted and the order rows write the bytes Codable writes", arguments: 0..<4)
    func events(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let text = Self.texts.randomElement(using: &generator)!
            let number = Self.integers.randomElement(using: &generator)!
            let optional = Bool.random(using: &generator) ? nil : Self.texts.randomElement(using: &generator)!
            try expectSameJSON(Restocked(qty: number, note: optional))
            try expectSameJSON(Reserved(orderId: text, qty: number, expiresAt: Int64(number)))
            try expectSameJSON(OrderReference(orderId: text, reason: optional))
            try expectSameJSON(Adjusted(delta: number, reason: text))
            let statuses: [StockView.Order.Status] = [.pending, .confirmed, .released, .expired]
            try expectSameJSON(StockView.Order(qty: number, expiresAt: Int64(number), status: statuses.randomElement(using: &generator)!))
        }
    }
    /// `init(tree:)` refuses what `Decodable` refuses and reads the same value from the rest.
    private func expectSameDecoding<Value: JSONTreeDecodable & JSONBytesEncodable>(
        _ type: Value.Type, _ tree: JSONValue, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let codable = try? JSONValueDecoder().decode(CodableOnly<Value>.self, from: tree).value
        let direct = Value(tree: tree)
        #expect((codable == nil) == (direct == nil), "\(Value.self) from \(tree.jsonText)", sourceLocation: sourceLocation)
        if let codable, let direct {
            var left = JSONWriter()
            var right = JSONWriter()
            codable.writeJSON(into: &left)
            direct.writeJSON(into: &right)
            #expect(left.bytes == right.bytes, "\(Value.self) from \(tree.jsonText)", sourceLocation: sourceLocation)
        }
    }

    @Test("reading each event from a tree refuses and accepts exactly what Codable does", arguments: 0..<4)
    func treeDecoding(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let values: [JSONValue?] = [
            nil, .null, .bool(true), .number(3), .number(-7), .number(2.5), .number(1e19), .number(0x1p62), .string("o-1"), .string(""),
            .array([]), .object([:]),
        ]
        for _ in 0..<300 {
            func member() -> JSONValue? { values.randomElement(using: &generator)! }
            var members: [String: JSONValue] = [:]
            for key in ["qty", "note", "orderId", "expiresAt", "reason", "delta", "extra"] {
                if let value = member() { members[key] = value }
            }
            let tree = JSONValue.object(members)
            expectSameDecoding(Restocked.self, tree)
            expectSameDecoding(Reserved.self, tree)
            expectSameDecoding(OrderReference.self, tree)
            expectSameDecoding(Adjusted.self, tree)
        }
        // The common shapes, certainly covered.
        expectSameDecoding(Restocked.self, ["qty": 5])
        expectSameDecoding(Restocked.self, ["qty": 5, "note": "n"])
        expectSameDecoding(Reserved.self, ["orderId": "o", "qty": 1, "expiresAt": 1_796_461_889_997])
        expectSameDecoding(OrderReference.self, ["orderId": "o", "reason": .null])
        expectSameDecoding(Adjusted.self, ["delta": -2, "reason": "count"])
    }
}
