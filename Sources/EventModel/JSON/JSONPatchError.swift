/// Why ``JSONPatch/apply(_:to:)`` refused a patch: which operation failed, what kind of failure
/// it was, and the pointer it concerned.
public struct JSONPatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, stable enough to match on.
    public enum Code: String, Sendable {
        /// The operation is not an object, has no `op` string or an unknown one, or lacks a
        /// member its `op` needs (`path`, `from`, `value`).
        case malformedOperation = "malformed_operation"
        /// A `path` or `from` is not an RFC 6901 JSON Pointer: it neither is empty nor starts
        /// with `/`, or has a `~` not followed by `0` or `1`.
        case invalidPointer = "invalid_pointer"
        /// A pointer names a location that does not exist in the document: a missing member, an
        /// array index that is not a number or is past the end, or a step into a string, number,
        /// Boolean or null.
        case pathNotFound = "path_not_found"
        /// A `test` operation found a value different from the one it expects.
        case testFailed = "test_failed"
        /// A `move` operation's `from` is a proper prefix of its `path`: a value cannot be moved
        /// into one of its own children.
        case moveIntoDescendant = "move_into_descendant"
    }

    /// The position of the failed operation in the patch, from 0. The operations before it
    /// succeeded; none of their effects are returned.
    public let operationIndex: Int
    /// What went wrong.
    public let code: Code
    /// The pointer the failure concerns, as written in the operation (its `path`, or its `from`
    /// when that is what failed); empty for the whole document and for an operation that failed
    /// before a pointer was read.
    public let pointer: String
    /// What went wrong, in words a developer can act on.
    public let reason: String

    /// The operation's index, the code, the pointer and the reason, on one line.
    public var description: String {
        "JSON Patch operation \(operationIndex) failed (\(code.rawValue)) at \"\(pointer)\": \(reason)"
    }
}
