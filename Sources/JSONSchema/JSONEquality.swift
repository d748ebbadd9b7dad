import EventModel

extension JSONValue {
    /// Equality as JSON Schema defines it for `enum`, `const` and `uniqueItems`: same type and
    /// value, numbers by value (`1` equals `1.0`), objects whatever their member order, strings
    /// code point by code point.
    ///
    /// `==` on `JSONValue` is Swift's, under which strings are equal when canonically
    /// equivalent (`"é"` and `"e\u{301}"`); JSON Schema tells those apart.
    func isSchemaEqual(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isSchemaEqual(to: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let index = b.index(forKey: key), b[index].key.unicodeScalars.elementsEqual(key.unicodeScalars),
                    value.isSchemaEqual(to: b[index].value)
                else { return false }
            }
            return true
        default:
            return false
        }
    }
}

/// A JSON value hashed as `JSONValue` hashes and compared with
/// ``JSONValue/isSchemaEqual(to:)``, for finding duplicates in a set. Values that are
/// schema-equal are `==`-equal too, so they hash alike.
struct SchemaEqualityKey: Hashable {
    let value: JSONValue

    static func == (left: SchemaEqualityKey, right: SchemaEqualityKey) -> Bool {
        left.value.isSchemaEqual(to: right.value)
    }

    func hash(into hasher: inout Hasher) { value.hash(into: &hasher) }
}
