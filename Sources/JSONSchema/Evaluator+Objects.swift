import EventModel

/// The keywords for objects: counts, required members, and the subschemas applied to members
/// (`properties`, `patternProperties`, `additionalProperties`, `unevaluatedProperties`) and to
/// member names (`propertyNames`).
extension Evaluator {
    mutating func checkPropertyCount(_ instance: JSONValue, _ keyword: String, _ limit: Int, atMost: Bool) -> Bool {
        guard case .object(let members) = instance, atMost ? members.count > limit : members.count < limit else { return true }
        let limitText = Self.counted(limit, "property", plural: "properties")
        fail(keyword, "must have at \(atMost ? "most" : "least") \(limitText), got \(members.count)")
        return false
    }

    /// `required`: one violation per missing member, at the object.
    mutating func checkRequired(_ names: [String], _ instance: JSONValue) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for name in names where members[name] == nil {
            fail("required", "missing required property \"\(name)\"")
            if !recording { return false }
            valid = false
        }
        return valid
    }

    mutating func checkDependentRequired(
        _ dependencies: [(property: String, required: [String])], _ instance: JSONValue
    ) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for dependency in dependencies where members[dependency.property] != nil {
            for name in dependency.required where members[name] == nil {
                fail("dependentRequired", "missing property \"\(name)\", required when \"\(dependency.property)\" is present")
                if !recording { return false }
                valid = false
            }
        }
        return valid
    }

    mutating func applyProperties(
        _ entries: [(name: String, node: Int)], _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for entry in entries {
            guard let member = members[entry.name] else { continue }
            if graph.tracksAnnotations { annotations.properties.insert(entry.name) }
            guard descend(entry.node, member, at: .member(entry.name), keyword: "properties") else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        return valid
    }

    mutating func applyPatternProperties(
        _ entries: [(pattern: SchemaPattern, node: Int)], _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for (name, member) in members {
            for entry in entries where entry.pattern.matches(name) {
                if graph.tracksAnnotations { annotations.properties.insert(name) }
                let allowed = descend(
                    entry.node, member, at: .member(name), keyword: "patternProperties",
                    reason: "its name matches \(entry.pattern.source)")
                guard allowed else {
                    if !recording { return false }
                    valid = false
                    continue
                }
            }
        }
        return valid
    }

    /// `additionalProperties`: the members neither `properties` names nor a `patternProperties`
    /// pattern matches.
    mutating func applyAdditionalProperties(
        _ node: Int, _ named: Set<String>, _ patterns: [SchemaPattern], _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for (name, member) in members where !named.contains(name) && !patterns.contains(where: { $0.matches(name) }) {
            if graph.tracksAnnotations { annotations.properties.insert(name) }
            let allowed = descend(
                node, member, at: .member(name), keyword: "additionalProperties",
                reason: "the schema lists the properties it allows")
            guard allowed else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        return valid
    }

    /// `propertyNames`: each member name, as a string, against the subschema. A bad name is
    /// reported at its member, with what the name lacks.
    mutating func applyPropertyNames(_ node: Int, _ instance: JSONValue) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for name in members.keys {
            let mark = violations.count
            var scratch = Annotations()
            guard evaluate(node, .string(name), &scratch) else {
                if !recording { return false }
                let reasons = takeViolations(since: mark).map(\.message).joined(separator: "; ")
                fail(at: .member(name), "propertyNames", "property name \"\(name)\" is not allowed: \(reasons)")
                valid = false
                continue
            }
        }
        return valid
    }

    /// `dependentSchemas`: for each member present, its schema applies to the whole object.
    mutating func applyDependentSchemas(
        _ entries: [(property: String, node: Int)], _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for entry in entries where members[entry.property] != nil {
            guard inPlace(entry.node, instance, &annotations) else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        return valid
    }

    /// `unevaluatedProperties`: the members that no adjacent keyword (nor any subschema applied
    /// in place) evaluated.
    mutating func applyUnevaluatedProperties(_ node: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        guard case .object(let members) = instance else { return true }
        var valid = true
        for (name, member) in members where !annotations.properties.contains(name) {
            let allowed = descend(
                node, member, at: .member(name), keyword: "unevaluatedProperties", reason: "no subschema declares it")
            guard allowed else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        annotations.properties.formUnion(members.keys)
        return valid
    }
}
