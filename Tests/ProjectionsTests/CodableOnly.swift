/// Hides a value's ``JSONBytesEncodable`` and ``JSONValueFastDecodable`` conformances, so it is
/// encoded and decoded through its `Codable` conformance alone: what the hand-written JSON of
/// the bundled types is checked against.
struct CodableOnly<Value: Codable>: Codable {
    let value: Value
    init(_ value: Value) { self.value = value }
    init(from decoder: any Decoder) throws { value = try Value(from: decoder) }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
