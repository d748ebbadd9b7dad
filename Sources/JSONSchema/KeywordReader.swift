import EventModel

/// Reads the value of one keyword of a schema object, checking it has the type and range the
/// draft 2020-12 metaschema gives that keyword; a mismatch is a ``SchemaError`` pointing at
/// the keyword.
struct KeywordReader {
    let members: [String: JSONValue]
    let location: SchemaLocation

    /// An ``SchemaError/Code/invalidKeyword`` error at `keyword`.
    func error(_ keyword: String, _ message: String) -> SchemaError {
        error(keyword, .invalidKeyword, message)
    }

    func error(_ keyword: String, _ code: SchemaError.Code, _ message: String) -> SchemaError {
        SchemaError(code, at: location.appending(keyword).pointerText, message)
    }

    /// A number keyword (`maximum`, `multipleOf`, ...).
    func number(_ keyword: String) throws(SchemaError) -> Double? {
        guard let value = members[keyword] else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            throw error(keyword, "\(keyword) must be a number, got \(value.jsonText)")
        }
        return number
    }

    /// A non-negative integer keyword (`maxLength`, `minItems`, ...); `2.0` counts as `2`.
    /// Counts beyond `Int.max` are clamped, which no instance can tell apart.
    func count(_ keyword: String) throws(SchemaError) -> Int? {
        guard let value = members[keyword] else { return nil }
        guard case .number(let number) = value, number >= 0, number.rounded(.towardZero) == number else {
            throw error(keyword, "\(keyword) must be a non-negative integer, got \(value.jsonText)")
        }
        return number < 0x1p62 ? Int(number) : Int.max
    }

    func string(_ keyword: String) throws(SchemaError) -> String? {
        guard let value = members[keyword] else { return nil }
        guard case .string(let text) = value else { throw error(keyword, "\(keyword) must be a string, got \(value.jsonText)") }
        return text
    }

    func boolean(_ keyword: String) throws(SchemaError) -> Bool? {
        guard let value = members[keyword] else { return nil }
        guard case .bool(let flag) = value else {
            throw error(keyword, "\(keyword) must be true or false, got \(value.jsonText)")
        }
        return flag
    }

    func object(_ keyword: String) throws(SchemaError) -> [String: JSONValue]? {
        guard let value = members[keyword] else { return nil }
        guard case .object(let entries) = value else { throw error(keyword, "\(keyword) must be an object") }
        return entries
    }

    /// An array of distinct strings (`required`, the values of `dependentRequired`).
    func stringArray(_ keyword: String) throws(SchemaError) -> [String]? {
        guard let value = members[keyword] else { return nil }
        guard case .array(let elements) = value else { throw error(keyword, "\(keyword) must be an array of strings") }
        var names: [String] = []
        for element in elements {
            guard case .string(let name) = element else {
                throw error(keyword, "\(keyword) must contain only strings, got \(element.jsonText)")
            }
            guard !names.contains(name) else { throw error(keyword, "\(keyword) lists \"\(name)\" twice") }
            names.append(name)
        }
        return names
    }

    /// `type`: one type name or a non-empty array of distinct ones.
    func typeSet() throws(SchemaError) -> JSONTypeSet? {
        guard let value = members["type"] else { return nil }
        let names: [JSONValue]
        switch value {
        case .string: names = [value]
        case .array(let elements) where !elements.isEmpty: names = elements
        default: throw error("type", "type must be a type name or a non-empty array of them, got \(value.jsonText)")
        }
        var types: JSONTypeSet = []
        for name in names {
            guard case .string(let text) = name, let type = JSONTypeSet.named.first(where: { $0.name == text })?.type else {
                let known = JSONTypeSet.named.map(\.name).joined(separator: ", ")
                throw error("type", "unknown type \(name.jsonText); the types are \(known)")
            }
            guard !types.contains(type) else { throw error("type", "type lists \"\(text)\" twice") }
            types.insert(type)
        }
        return types
    }

    /// `source` compiled as an ECMA-262 regular expression, for `keyword` (and `tokens` below it).
    func pattern(_ source: String, at keyword: String, _ tokens: String...) throws(SchemaError) -> SchemaPattern {
        guard let pattern = SchemaPattern(source) else {
            let pointer = (location.pointer + [keyword] + tokens).map { "/" + PendingViolation.escapedPointerToken($0) }.joined()
            throw SchemaError(.invalidPattern, at: pointer, "\"\(source)\" is not a valid regular expression")
        }
        return pattern
    }
}

extension Double {
    /// The number as JSON writes it (`10`, `0.5`), for messages.
    var jsonText: String { JSONValue.number(self).jsonText }
}
