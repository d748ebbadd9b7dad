import EventModel

/// The keywords that look at one value and nothing inside it: `type`, `enum`, `const`, and the
/// number and string assertions.
extension Evaluator {
    mutating func checkType(_ types: JSONTypeSet, _ instance: JSONValue) -> Bool {
        guard !types.admits(instance) else { return true }
        fail("type", "must be of type \(types.listed), got \(instance.typeName)")
        return false
    }

    /// `enum`, with JSON Schema equality (``JSONValue/isSchemaEqual(to:)``).
    mutating func checkEnumeration(_ allowed: [JSONValue], _ instance: JSONValue) -> Bool {
        guard !allowed.contains(where: { $0.isSchemaEqual(to: instance) }) else { return true }
        fail("enum", "must be one of \(Self.list(allowed)), got \(instance.preview)")
        return false
    }

    mutating func checkConstant(_ expected: JSONValue, _ instance: JSONValue) -> Bool {
        guard !instance.isSchemaEqual(to: expected) else { return true }
        fail("const", "must be \(expected.preview), got \(instance.preview)")
        return false
    }

    /// `multipleOf`. The decimal text of the numbers is gone (they are `Double`s), so the
    /// quotient is tested against the nearest integer with a relative tolerance of 8 ulps, a few
    /// times the rounding error of two decimal-to-binary conversions and a division:
    /// `0.3 / 0.1` is `2.9999999999999996` in binary and must count as `3`. A quotient too
    /// large to represent is not a multiple.
    mutating func checkMultipleOf(_ divisor: Double, _ instance: JSONValue) -> Bool {
        guard case .number(let value) = instance else { return true }
        let quotient = value / divisor
        let tolerance = Swift.max(1, quotient.magnitude) * 8 * Double.ulpOfOne
        guard !quotient.isFinite || (quotient - quotient.rounded()).magnitude > tolerance else { return true }
        fail("multipleOf", "must be a multiple of \(divisor.jsonText), got \(value.jsonText)")
        return false
    }

    /// `maximum`, `exclusiveMaximum`, `minimum`, `exclusiveMinimum`.
    mutating func checkBound(
        _ instance: JSONValue, _ keyword: String, _ relation: String, _ limit: Double, _ holds: (Double) -> Bool
    ) -> Bool {
        guard case .number(let value) = instance, !holds(value) else { return true }
        fail(keyword, "must be \(relation) \(limit.jsonText), got \(value.jsonText)")
        return false
    }

    /// `maxLength` and `minLength`, in Unicode code points as the specification counts.
    mutating func checkLength(_ instance: JSONValue, _ keyword: String, _ limit: Int, atMost: Bool) -> Bool {
        guard case .string(let text) = instance else { return true }
        // UTF-8 length bounds the count from above, and a quarter of it from below: most
        // checks are decided without counting.
        let bytes = text.utf8.count
        if atMost ? bytes <= limit : bytes / 4 >= limit { return true }
        let length = text.unicodeScalars.count
        guard atMost ? length > limit : length < limit else { return true }
        fail(keyword, "must be at \(atMost ? "most" : "least") \(Self.counted(limit, "character")) long, got \(length)")
        return false
    }

    mutating func checkPattern(_ pattern: SchemaPattern, _ instance: JSONValue) -> Bool {
        guard case .string(let text) = instance, !pattern.matches(text) else { return true }
        fail("pattern", "must match the pattern \(pattern.source), got \(instance.preview)")
        return false
    }

    /// `count` and the noun in the right number, for messages: `1 item`, `2 items`.
    static func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(plural ?? noun + "s")"
    }

    /// Up to ten values as a JSON list, for messages.
    static func list(_ values: [JSONValue]) -> String {
        let shown = values.prefix(10).map(\.preview).joined(separator: ", ")
        return values.count > 10 ? "[\(shown), ... (\(values.count) in all)]" : "[\(shown)]"
    }
}

extension JSONTypeSet {
    /// The type names joined with "or", e.g. `string or null`.
    var listed: String {
        Self.named.filter { contains($0.type) }.map(\.name).joined(separator: " or ")
    }
}
