/// The `Decoder` behind ``JSONValueDecoder``: one value of the tree and where it sits. It is its
/// own single-value container, as JSONDecoder's is.
///
/// Every error is a `DecodingError` whose coding path leads to the value at fault, and whose
/// description says what was expected and what was found (`expected an integer, found 1.5`).
struct TreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let sendableUserInfo: [CodingUserInfoKey: any Sendable]

    var userInfo: [CodingUserInfoKey: Any] { sendableUserInfo }

    /// A decoder for `value`, found at `key` under this one.
    func child(_ value: JSONValue, at key: any CodingKey) -> TreeDecoder {
        TreeDecoder(value: value, codingPath: codingPath + [key], sendableUserInfo: sendableUserInfo)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: JSONValue].self, expected: "an object") }
        return KeyedDecodingContainer(KeyedTreeDecodingContainer<Key>(members: members, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([JSONValue].self, expected: "an array") }
        return UnkeyedTreeDecodingContainer(elements: elements, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// The error for a value of the wrong kind: `valueNotFound` for `null`, as Swift's decoders
    /// do (so `decodeIfPresent` callers can tell absence from a wrong type), else `typeMismatch`.
    func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        let context = DecodingError.Context(
            codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindDescription)")
        if case .null = value { return .valueNotFound(type, context) }
        return .typeMismatch(type, context)
    }

    /// A number that has the right kind but not a value the type can hold.
    private func corrupted(_ description: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: codingPath, debugDescription: description))
    }

    func bool() throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, expected: "a Boolean") }
        return flag
    }

    func string() throws -> String {
        guard case .string(let string) = value else { throw mismatch(String.self, expected: "a string") }
        return string
    }

    /// The number as `F`; a finite number beyond `F`'s range (a `Float` past 3.4e38) is refused
    /// rather than turned into an infinity.
    func floatingPoint<F: BinaryFloatingPoint>(_ type: F.Type) throws -> F {
        guard case .number(let number) = value else { throw mismatch(F.self, expected: "a number") }
        let converted = F(number)
        guard converted.isFinite || !number.isFinite else {
            throw corrupted("expected a number in \(F.self)'s range, found \(value.kindDescription)")
        }
        return converted
    }

    /// The number as `I`, only if it is a whole number within `I`'s range: `1.5` and `300` (for
    /// `Int8`) are refused, never truncated or clamped. Numbers here are `Double`s, so a JSON
    /// integer past 2^53 has already been rounded by the time it is read.
    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let number) = value else { throw mismatch(I.self, expected: "an integer") }
        if let integer = I(exactly: number) { return integer }
        // Every Double from 2^52 up is whole; below, a round trip through Int64 shows a fraction.
        guard number.isFinite, number.magnitude >= 0x1p52 || Double(Int64(number)) == number else {
            throw corrupted("expected an integer, found \(value.kindDescription)")
        }
        throw corrupted("expected an integer in \(I.self)'s range \(I.min)...\(I.max), found \(value.kindDescription)")
    }
}

/// ``TreeDecoder`` as its own single-value container.
extension TreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode(_ type: Bool.Type) throws -> Bool { try bool() }
    func decode(_ type: String.Type) throws -> String { try string() }
    func decode(_ type: Double.Type) throws -> Double { try floatingPoint(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { try floatingPoint(Float.self) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }
    func decode(_ type: Int128.Type) throws -> Int128 { try integer(Int128.self) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try integer(UInt128.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}
