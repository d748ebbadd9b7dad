import EventModel

extension SchemaCompiler {
    /// The keywords of one schema object, checked, in evaluation order. Unknown keywords are
    /// ignored, as the specification requires; annotation-only ones (`format`, `title`,
    /// `content*`, ...) produce nothing.
    mutating func keywords(of members: [String: JSONValue], at location: SchemaLocation) throws(SchemaError) -> [Keyword] {
        let reader = KeywordReader(members: members, location: location)
        if let dialect = members["$schema"] {
            guard case .string(let uri) = dialect, Self.supportedDialects.contains(uri) else {
                throw reader.error(
                    "$schema", .unsupportedDialect,
                    "only draft 2020-12 (https://json-schema.org/draft/2020-12/schema) is supported, got \(dialect.jsonText)")
            }
        }
        var keywords: [Keyword] = []
        if let value = members["$ref"] { keywords.append(try reference(value, at: location, isDynamic: false)) }
        if let value = members["$dynamicRef"] { keywords.append(try reference(value, at: location, isDynamic: true)) }
        if let type = try reader.typeSet() { keywords.append(.type(type)) }
        if let value = members["enum"] {
            guard case .array(let allowed) = value else { throw reader.error("enum", "enum must be an array") }
            keywords.append(.enumeration(allowed))
        }
        if let value = members["const"] { keywords.append(.constant(value)) }

        if let divisor = try reader.number("multipleOf") {
            guard divisor > 0 else {
                throw reader.error("multipleOf", "multipleOf must be greater than 0, got \(divisor.jsonText)")
            }
            keywords.append(.multipleOf(divisor))
        }
        if let limit = try reader.number("maximum") { keywords.append(.maximum(limit)) }
        if let limit = try reader.number("exclusiveMaximum") { keywords.append(.exclusiveMaximum(limit)) }
        if let limit = try reader.number("minimum") { keywords.append(.minimum(limit)) }
        if let limit = try reader.number("exclusiveMinimum") { keywords.append(.exclusiveMinimum(limit)) }

        if let limit = try reader.count("maxLength") { keywords.append(.maxLength(limit)) }
        if let limit = try reader.count("minLength") { keywords.append(.minLength(limit)) }
        if let source = try reader.string("pattern") { keywords.append(.pattern(try reader.pattern(source, at: "pattern"))) }

        if let limit = try reader.count("maxItems") { keywords.append(.maxItems(limit)) }
        if let limit = try reader.count("minItems") { keywords.append(.minItems(limit)) }
        if try reader.boolean("uniqueItems") == true { keywords.append(.uniqueItems) }
        let prefixItems = try schemaArray("prefixItems", reader)
        if let prefixItems { keywords.append(.prefixItems(prefixItems)) }
        if members["items"] != nil {
            keywords.append(.items(try subschema(location, "items"), firstIndex: prefixItems?.count ?? 0))
        }
        let minContains = try reader.count("minContains")
        let maxContains = try reader.count("maxContains")
        if members["contains"] != nil {
            keywords.append(.contains(try subschema(location, "contains"), minimum: minContains ?? 1, maximum: maxContains))
        }

        if let limit = try reader.count("maxProperties") { keywords.append(.maxProperties(limit)) }
        if let limit = try reader.count("minProperties") { keywords.append(.minProperties(limit)) }
        if let names = try reader.stringArray("required") { keywords.append(.required(names)) }
        if let dependencies = try reader.object("dependentRequired") {
            var compiled: [(property: String, required: [String])] = []
            for name in dependencies.keys.sorted() {
                let names = try KeywordReader(members: dependencies, location: location.appending("dependentRequired"))
                    .stringArray(name)
                compiled.append((name, names ?? []))
            }
            keywords.append(.dependentRequired(compiled))
        }
        let properties = try schemaMap("properties", reader)
        if let properties { keywords.append(.properties(properties)) }
        var patterns: [(pattern: SchemaPattern, node: Int)] = []
        if let entries = try schemaMap("patternProperties", reader) {
            for entry in entries {
                patterns.append((try reader.pattern(entry.name, at: "patternProperties", entry.name), entry.node))
            }
            keywords.append(.patternProperties(patterns))
        }
        if members["additionalProperties"] != nil {
            keywords.append(
                .additionalProperties(
                    try subschema(location, "additionalProperties"), named: Set(properties?.map(\.name) ?? []),
                    patterns: patterns.map(\.pattern)))
        }
        if members["propertyNames"] != nil { keywords.append(.propertyNames(try subschema(location, "propertyNames"))) }
        if let dependencies = try schemaMap("dependentSchemas", reader) {
            keywords.append(.dependentSchemas(dependencies.map { (property: $0.name, node: $0.node) }))
        }

        if let schemas = try schemaArray("allOf", reader) { keywords.append(.allOf(schemas)) }
        if let schemas = try schemaArray("anyOf", reader) { keywords.append(.anyOf(schemas)) }
        if let schemas = try schemaArray("oneOf", reader) { keywords.append(.oneOf(schemas)) }
        if members["not"] != nil { keywords.append(.not(try subschema(location, "not"))) }
        let then = members["then"] == nil ? nil : try subschema(location, "then")
        let otherwise = members["else"] == nil ? nil : try subschema(location, "else")
        if members["if"] != nil { keywords.append(.conditional(if: try subschema(location, "if"), then: then, else: otherwise)) }

        // Compiled for their errors only: `$defs` are reached through `$ref`, `contentSchema`
        // is an annotation. A schema that compiles has no bad subschema anywhere.
        _ = try schemaMap("$defs", reader)
        if members["contentSchema"] != nil { _ = try subschema(location, "contentSchema") }

        if members["unevaluatedItems"] != nil {
            keywords.append(.unevaluatedItems(try subschema(location, "unevaluatedItems")))
            graph.tracksAnnotations = true
        }
        if members["unevaluatedProperties"] != nil {
            keywords.append(.unevaluatedProperties(try subschema(location, "unevaluatedProperties")))
            graph.tracksAnnotations = true
        }
        return keywords
    }

    /// The nodes of a non-empty array of schemas (`allOf`, `prefixItems`, ...).
    private mutating func schemaArray(_ keyword: String, _ reader: KeywordReader) throws(SchemaError) -> [Int]? {
        guard let value = reader.members[keyword] else { return nil }
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw reader.error(keyword, "\(keyword) must be a non-empty array of schemas")
        }
        var nodes: [Int] = []
        for offset in elements.indices { nodes.append(try subschema(reader.location, keyword, String(offset))) }
        return nodes
    }

    /// The nodes of an object of schemas (`properties`, `$defs`, ...), by name in name order.
    private mutating func schemaMap(
        _ keyword: String, _ reader: KeywordReader
    ) throws(SchemaError) -> [(name: String, node: Int)]? {
        guard let entries = try reader.object(keyword) else { return nil }
        var nodes: [(name: String, node: Int)] = []
        for name in entries.keys.sorted() { nodes.append((name, try subschema(reader.location, keyword, name))) }
        return nodes
    }
}
