/// Turns a ``JSONValue`` into a `Decodable` value (a reducer's state, a decider's command)
/// without Foundation, the way `JSONDecoder` would read it from text.
///
/// What it guarantees:
/// - Kinds are never converted: a Boolean is not a number, a number is not a string, and the
///   reverse.
/// - Integers (`Int`, `Int8`... `UInt128`) decode only from whole numbers within the type's
///   range; `1.5` or `300` for a `UInt8` is an error, never truncated or clamped. A `Float`
///   refuses a number beyond its range instead of becoming infinite.
/// - Optionals: a missing member and an explicit `null` both decode as `nil`. A nested optional
///   (`Int??`) cannot tell them apart and decodes both as the outer `nil`.
/// - Members the type does not ask for are ignored. `allKeys` lists members in sorted order, so
///   a type that loops over them behaves the same in every process.
///
/// Errors are Swift's `DecodingError`, with a coding path to the value at fault and a
/// description of what was expected and found (`expected an integer, found 1.5`);
/// ``Swift/DecodingError/jsonProblem`` renders one as a JSON Pointer and a message.
public struct JSONValueDecoder: Sendable {
    /// Handed to every `init(from:)` as `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// A decoder with the given `userInfo` (none by default).
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// The `T` that `value` describes.
    /// - Throws: `DecodingError` when `value` does not fit `T` (`keyNotFound`, `typeMismatch`,
    ///   `valueNotFound` for a `null` where a value is required, `dataCorrupted` for a number out
    ///   of the type's range); otherwise whatever `T`'s `init(from:)` throws, such as a
    ///   `DecodingError.dataCorrupted` for an unknown enum raw value.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if let fast = T.self as? any JSONValueFastDecodable.Type, let decoded = fast.init(fastJSON: value) { return decoded as! T }
        return try T(from: TreeDecoder(value: value, codingPath: [], sendableUserInfo: userInfo))
    }
}

/// A value that reads itself from a ``JSONValue`` faster than through `Decodable`, for the
/// few commands decoded by the hundred thousand a second (a building's readings).
/// ``JSONValueDecoder`` asks it first; when it answers nil (anything it does not take as
/// `Decodable` would), the value is decoded through `Decodable`, which says what is wrong.
/// It must take exactly what its `Decodable` conformance takes, and give the same value.
public protocol JSONValueFastDecodable: Decodable {
    /// The value `json` describes, or nil to let `Decodable` decide (and explain).
    init?(fastJSON json: JSONValue)
}
