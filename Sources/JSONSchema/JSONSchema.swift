import EventModel

/// A JSON Schema (draft 2020-12), compiled once and then used to validate any number of
/// instances, from any number of threads.
///
/// Supported: every keyword of the core, applicator, unevaluated and validation vocabularies
/// (`$ref` and `$dynamicRef` included). `format` and the `content*` keywords are annotations,
/// as draft 2020-12 specifies by default, so they never fail an instance. References may point
/// anywhere in the schema itself (JSON Pointers, `$anchor`s, `$id`s of embedded resources) and
/// to the draft 2020-12 metaschema, which is built in; nothing is fetched.
///
/// Numbers are compared as `Double`s, so integers are exact up to 2^53 and `multipleOf` uses a
/// relative tolerance of a few ulps. `pattern` is matched with ICU, with the ECMA-262
/// meanings of `\d`, `\w` and `$`.
public struct JSONSchema: Sendable {
    private let graph: SchemaGraph

    /// Compiles `schema`, a schema object or a Boolean: indexes `$id`, `$anchor` and
    /// `$dynamicAnchor`, resolves every `$ref` and `$dynamicRef` against its base URI, checks
    /// every keyword value and compiles every pattern. Keywords it does not know are ignored, as
    /// the specification requires.
    /// - Throws: ``SchemaError`` naming the first problem found and where it is: a keyword
    ///   value of the wrong type or range, a reference to a schema that is not there, a
    ///   pattern that is not a regular expression, a `$schema` other than draft 2020-12, or an
    ///   `$id` or anchor defined twice.
    public init(_ schema: JSONValue) throws(SchemaError) {
        graph = try SchemaCompiler.compile(schema)
    }

    /// Every violation of the schema by `instance`, in document order (by instance location,
    /// object members by name, array elements by index; within one location, in keyword
    /// order); empty when `instance` is valid.
    ///
    /// Each violation is at the location of the offending value. The failed alternatives of an
    /// `anyOf` or `oneOf` are summarized in one violation at the instance they were applied to;
    /// a failed `not`, `if` or `contains` test of an element is not itself a violation. A
    /// schema that applies more than 128 subschemas in a row to one value (a reference cycle
    /// that never moves into the instance) fails with one `$ref` violation at the root.
    public func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var evaluator = Evaluator(graph: graph)
        var annotations = Annotations()
        let valid = evaluator.evaluate(graph.root, instance, &annotations)
        if evaluator.exceededDepth {
            // The evaluation was cut short; what it recorded on the way out is noise.
            let limit = Evaluator.inPlaceDepthMax
            let message = "the schema applies more than \(limit) subschemas in a row to one value (a reference cycle?)"
            return [SchemaViolation(instancePointer: "", keyword: "$ref", message: message)]
        }
        assert(valid || !evaluator.violations.isEmpty, "a failed evaluation records why")
        if evaluator.violations.isEmpty { return [] }
        return evaluator.violations.inDocumentOrder().map(\.violation)
    }
}
