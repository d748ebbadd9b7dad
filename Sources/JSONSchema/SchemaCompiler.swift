import EventModel

/// Turns schema JSON into a ``SchemaGraph``: indexes identifiers, resolves every reference,
/// checks every keyword value and compiles every pattern, once, so that evaluation does none
/// of it.
struct SchemaCompiler {
    /// The base URI of a schema document that has no `$id` of its own; relative references in
    /// it resolve against this.
    static let documentBase = URIReference(parsing: "evlog:/schema")
    /// The `$schema` values accepted: draft 2020-12, with or without an empty fragment.
    static let supportedDialects: Set<String> = [
        "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#",
    ]

    var registry = SchemaRegistry()
    var graph = SchemaGraph()
    private var nodeAtLocation: [SchemaLocation: Int] = [:]
    private var resourceIndex: [String: Int] = [:]

    /// Compiles `schema` and everything it references.
    static func compile(_ schema: JSONValue) throws(SchemaError) -> SchemaGraph {
        var compiler = SchemaCompiler()
        let root = try compiler.registry.addDocument(schema, base: documentBase)
        compiler.graph.root = try compiler.node(at: root)
        try compiler.compileDynamicAnchors()
        return compiler.graph
    }

    /// The node of the schema at `location`, compiling it on first use. A schema that refers to
    /// itself gets its own index back while it is being compiled, which is how cycles close.
    mutating func node(at location: SchemaLocation) throws(SchemaError) -> Int {
        if let index = nodeAtLocation[location] { return index }
        guard let value = registry.value(at: location) else { preconditionFailure("schema locations come from the document") }
        switch value {
        case .bool(let valid):
            return valid ? SchemaGraph.alwaysValid : SchemaGraph.neverValid
        case .object(let members):
            guard let scope = registry.scopes[location] else {
                preconditionFailure("locations are indexed before they are compiled")
            }
            let index = graph.nodes.count
            let resource = resource(scope.resource)
            graph.nodes.append(SchemaNode(keywords: [], resource: resource))
            nodeAtLocation[location] = index
            graph.nodes[index].keywords = try keywords(of: members, at: location)
            return index
        default:
            throw SchemaError(
                .invalidKeyword, at: location.pointerText, "a schema must be an object or a Boolean, got \(value.typeName)")
        }
    }

    /// The node of the subschema in `keyword` (and the further `tokens`) of the schema at `location`.
    mutating func subschema(_ location: SchemaLocation, _ keyword: String, _ tokens: String...) throws(SchemaError) -> Int {
        try node(at: SchemaLocation(document: location.document, pointer: location.pointer + [keyword] + tokens))
    }

    /// The keyword for a `$ref` (`isDynamic` false) or `$dynamicRef` value.
    mutating func reference(_ value: JSONValue, at location: SchemaLocation, isDynamic: Bool) throws(SchemaError) -> Keyword {
        let keyword = isDynamic ? "$dynamicRef" : "$ref"
        guard case .string(let text) = value else {
            throw SchemaError(
                .invalidKeyword, at: location.appending(keyword).pointerText, "\(keyword) must be a string (a URI reference)")
        }
        let target = try registry.resolve(text, from: location, keyword: keyword)
        let node = try node(at: target.location)
        if isDynamic, let anchor = target.dynamicAnchor {
            graph.tracksDynamicScope = true
            return .dynamicReference(anchor: anchor, fallback: node)
        }
        return .reference(node)
    }

    /// The index of the resource with `uri`, adding it on first use.
    private mutating func resource(_ uri: String) -> Int {
        if let index = resourceIndex[uri] { return index }
        graph.resources.append(SchemaResource(uri: uri))
        resourceIndex[uri] = graph.resources.count - 1
        return graph.resources.count - 1
    }

    /// Compiles the `$dynamicAnchor` schemas of every resource, which a `$dynamicRef` may jump
    /// to at evaluation time, until compiling them brings in no more (the metaschema may load).
    private mutating func compileDynamicAnchors() throws(SchemaError) {
        var done: Set<SchemaLocation> = []
        while true {
            let pending = registry.dynamicAnchors.flatMap { uri, anchors in
                anchors.map { (uri: uri, name: $0.key, location: $0.value) }
            }.filter { !done.contains($0.location) }
            if pending.isEmpty { return }
            for anchor in pending {
                let node = try node(at: anchor.location)
                graph.resources[resource(anchor.uri)].dynamicAnchors[anchor.name] = node
                done.insert(anchor.location)
            }
        }
    }
}

extension JSONValue {
    /// The JSON type name of the value, `integer` for whole numbers: for messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .number(let number): number.isFinite && number.rounded(.towardZero) == number ? "integer" : "number"
        }
    }
}
