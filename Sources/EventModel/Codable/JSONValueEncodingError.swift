/// Why ``JSONValueEncoder`` could not turn a value into a ``JSONValue``, and where in it.
public struct JSONValueEncodingError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, stable enough to match on.
    public enum Code: String, Sendable {
        /// A `Double` or `Float` was NaN or infinite; JSON has no such numbers.
        case nonFiniteNumber = "non_finite_number"
        /// The value's own `encode(to:)` threw (an `EncodingError` or any other error); the
        /// error is in ``underlying``.
        case refusedByValue = "refused_by_value"
    }

    /// What went wrong.
    public let code: Code
    /// Where, as an RFC 6901 JSON Pointer into the value being encoded (`""` for the value
    /// itself, `/lines/0/price` for a member of an element).
    public let pointer: String
    /// What went wrong, in words a developer can act on.
    public let reason: String
    /// The error the value's `encode(to:)` threw, for ``Code/refusedByValue``.
    public let underlying: (any Error)?

    public var description: String {
        pointer.isEmpty ? reason : "\(reason) at \(pointer)"
    }

    /// A number JSON cannot hold, found at `codingPath`.
    static func nonFinite(_ number: some BinaryFloatingPoint, at codingPath: [any CodingKey]) -> Self {
        Self(
            code: .nonFiniteNumber, pointer: jsonPointer(codingPath),
            reason: "\(number) cannot be encoded: JSON numbers are finite", underlying: nil)
    }

    /// An error thrown by the `encode(to:)` of the value at `codingPath`. An `EncodingError`
    /// says itself where it happened, so its path wins over `codingPath`.
    static func refused(by error: any Error, at codingPath: [any CodingKey]) -> Self {
        guard let encodingError = error as? EncodingError else {
            return Self(
                code: .refusedByValue, pointer: jsonPointer(codingPath),
                reason: "the value's encode(to:) threw: \(error)", underlying: error)
        }
        switch encodingError {
        case .invalidValue(_, let context):
            return Self(
                code: .refusedByValue, pointer: jsonPointer(context.codingPath),
                reason: context.debugDescription, underlying: error)
        @unknown default:
            return Self(
                code: .refusedByValue, pointer: jsonPointer(codingPath),
                reason: "\(error)", underlying: error)
        }
    }
}
