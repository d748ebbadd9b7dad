/// Turns an `Encodable` value (a reducer's state, a decider's command) into a ``JSONValue``
/// without Foundation, the way `JSONEncoder` would turn it into text.
///
/// What it guarantees:
/// - Determinism: encoding equal values gives equal trees, and so equal ``JSONValue/jsonText``
///   (which sorts object keys). Sets and non-string-keyed dictionaries, whose iteration order
///   follows the hash seed, are written in a canonical order (their elements or key-value pairs
///   sorted by JSON text) whenever the encoder is handed them as a value.
/// - Optionals: synthesized `Codable` omits a `nil` member (`encodeIfPresent`); a `nil` handed
///   over explicitly, or inside an array, is `null`.
/// - Dictionaries with `String`, `Int` or `CodingKeyRepresentable` keys are objects (an `Int`
///   key is written as its decimal text); any other key type makes an array of alternating keys
///   and values, as Swift's `Dictionary` asks for.
/// - Enums with raw values are their raw value; enums with associated values are the objects
///   Swift synthesizes.
/// - A value whose `encode(to:)` writes nothing at all is `{}`.
///
/// Numbers: JSON numbers here are `Double`, so integers are exact only up to 2^53 in
/// magnitude. Larger `Int`, `Int64`, `Int128` and unsigned values round to the nearest `Double`
/// without an error, and may then fail to decode into their own type (`Int64.max` rounds to
/// 2^63, which is out of range); store such values, e.g. hashes or random seeds, as strings.
/// NaN and the infinities are refused.
///
/// Misuse of the `Encoder` protocol by a value's `encode(to:)` (asking for a keyed container
/// after encoding a single value, or encoding two single values) is a programming error and
/// traps, as it does in `JSONEncoder`.
public struct JSONValueEncoder: Sendable {
    /// Handed to every `encode(to:)` as `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// An encoder with the given `userInfo` (none by default).
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// The tree `value` encodes to.
    /// - Throws: ``JSONValueEncodingError`` with the JSON Pointer of the offending part:
    ///   ``JSONValueEncodingError/Code/nonFiniteNumber`` for a NaN or infinite number,
    ///   ``JSONValueEncodingError/Code/refusedByValue`` when a value's `encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws(JSONValueEncodingError) -> JSONValue {
        try TreeEncoder(codingPath: [], userInfo: userInfo).box(value, at: [])
    }
}
