import EventModel

/// A compiled schema: every schema object reachable from the root, as nodes that refer to
/// each other by index, so recursive schemas are plain cycles of indices and evaluation never
/// looks at schema JSON again.
struct SchemaGraph: Sendable {
    /// The node of every `true` schema.
    static let alwaysValid = 0
    /// The node of every `false` schema.
    static let neverValid = 1

    var nodes: [SchemaNode] = [SchemaNode(keywords: [], resource: 0), SchemaNode(keywords: [], resource: 0)]
    var resources: [SchemaResource] = []
    var root = alwaysValid
    /// Whether some node has `unevaluatedItems` or `unevaluatedProperties`, the only keywords
    /// that read annotations; when none does, evaluation collects none.
    var tracksAnnotations = false
    /// Whether some node has a `$dynamicRef` that needs the dynamic scope; when none does,
    /// evaluation does not keep one.
    var tracksDynamicScope = false
}

/// One schema object: its keywords in evaluation order (the unevaluated ones last, since they
/// depend on what the others evaluated).
struct SchemaNode: Sendable {
    var keywords: [Keyword]
    /// The index of the schema resource (`$id` scope) the node belongs to, for `$dynamicRef`.
    var resource: Int
}

/// A schema resource: a document root or a subschema with `$id`.
struct SchemaResource: Sendable {
    /// The resource's absolute URI.
    var uri: String
    /// The nodes of its `$dynamicAnchor`s, by anchor name.
    var dynamicAnchors: [String: Int] = [:]
}

/// A keyword compiled: its value checked and converted, its subschemas as node indices.
enum Keyword: Sendable {
    case reference(Int)
    /// A `$dynamicRef` whose static target is a `$dynamicAnchor`: the outermost resource in the
    /// dynamic scope with that anchor wins; `fallback` is the static target.
    case dynamicReference(anchor: String, fallback: Int)
    case type(JSONTypeSet)
    case enumeration([JSONValue])
    case constant(JSONValue)
    case multipleOf(Double)
    case maximum(Double)
    case exclusiveMaximum(Double)
    case minimum(Double)
    case exclusiveMinimum(Double)
    case maxLength(Int)
    case minLength(Int)
    case pattern(SchemaPattern)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case prefixItems([Int])
    /// `items`, which applies to the elements after the `prefixItems`.
    case items(Int, firstIndex: Int)
    case contains(Int, minimum: Int, maximum: Int?)
    case maxProperties(Int)
    case minProperties(Int)
    case required([String])
    case dependentRequired([(property: String, required: [String])])
    case properties([(name: String, node: Int)])
    case patternProperties([(pattern: SchemaPattern, node: Int)])
    /// `additionalProperties`, with the names and patterns of its sibling keywords.
    case additionalProperties(Int, named: Set<String>, patterns: [SchemaPattern])
    case propertyNames(Int)
    case dependentSchemas([(property: String, node: Int)])
    case allOf([Int])
    case anyOf([Int])
    case oneOf([Int])
    case not(Int)
    case conditional(if: Int, then: Int?, else: Int?)
    case unevaluatedItems(Int)
    case unevaluatedProperties(Int)
}

/// The JSON types a `type` keyword allows.
struct JSONTypeSet: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONTypeSet(rawValue: 1 << 0)
    static let boolean = JSONTypeSet(rawValue: 1 << 1)
    static let object = JSONTypeSet(rawValue: 1 << 2)
    static let array = JSONTypeSet(rawValue: 1 << 3)
    static let number = JSONTypeSet(rawValue: 1 << 4)
    static let string = JSONTypeSet(rawValue: 1 << 5)
    static let integer = JSONTypeSet(rawValue: 1 << 6)

    /// The names in the order they are listed in messages.
    static let named: [(name: String, type: JSONTypeSet)] = [
        ("null", .null), ("boolean", .boolean), ("object", .object), ("array", .array),
        ("number", .number), ("integer", .integer), ("string", .string),
    ]

    /// Whether `value` has one of the types; a number with no fraction is an `integer`
    /// (`1.0` is one, as the specification says).
    func admits(_ value: JSONValue) -> Bool {
        switch value {
        case .null: contains(.null)
        case .bool: contains(.boolean)
        case .object: contains(.object)
        case .array: contains(.array)
        case .string: contains(.string)
        case .number(let number):
            contains(.number) || (contains(.integer) && number.isFinite && number.rounded(.towardZero) == number)
        }
    }
}
