/// Why a schema was refused: which rule it breaks (``code``), where in the schema document
/// (``schemaPointer``), and a message a person can act on.
///
/// A schema is checked whole when it is compiled, so a schema that compiles never fails later
/// for a reason listed here.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem. The raw values are stable: they may be matched on and shown to clients.
    public enum Code: String, Sendable, Equatable {
        /// The schema is not an object or a Boolean, or a keyword's value has the wrong type or
        /// range (`"minLength": -1`, `"type": "strin"`, `"required": [1]`).
        case invalidKeyword = "invalid-keyword"
        /// A `$ref` or `$dynamicRef` names a schema that is not in the document (remote schemas
        /// are not fetched; only the draft 2020-12 metaschema is built in).
        case unresolvedReference = "unresolved-reference"
        /// A `pattern` or `patternProperties` key is not a regular expression.
        case invalidPattern = "invalid-pattern"
        /// `$schema` names a dialect other than draft 2020-12.
        case unsupportedDialect = "unsupported-dialect"
        /// Two schema resources claim the same `$id` or `$anchor`.
        case duplicateIdentifier = "duplicate-identifier"
    }

    /// The kind of problem.
    public let code: Code
    /// An RFC 6901 JSON Pointer to the offending value in the schema document; `""` is the root.
    public let schemaPointer: String
    /// What is wrong, e.g. `minLength must be a non-negative integer, got -1`.
    public let message: String

    /// An error of `code` at `schemaPointer`.
    init(_ code: Code, at schemaPointer: String, _ message: String) {
        self.code = code
        self.schemaPointer = schemaPointer
        self.message = message
    }

    /// One line for logs: `invalid schema at /properties/qty/minimum: minimum must be a number, got "0"`.
    public var description: String {
        "invalid schema at \(schemaPointer.isEmpty ? "the root" : schemaPointer): \(message)"
    }
}
