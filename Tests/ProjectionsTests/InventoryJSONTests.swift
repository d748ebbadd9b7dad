import EventModel
import Testing

@testable import Projections

/// The inventory's hand-written event JSON (`InventoryJSON.swift`) against its `Codable` form.
@Suite("inventory: hand-written event JSON equals the Codable form")
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

    @Test("Restocked, Reserved, Confirmed/Released/Expired and Adjusted write the bytes Codable writes", arguments: 0..<4)
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
        }
    }
}
