import EventModel
import Foundation

/// Checks event data against a bundled schema file (`Schemas/<type>.schema.json`, read as it
/// is) for the few JSON Schema keywords those files use: `type`, `required`, `properties`,
/// `additionalProperties`, `minLength`/`maxLength` (in code points), `pattern` (a bracketed
/// character class: `^[...]+$`), `enum`, `minimum`/`maximum`.
///
/// ProjectionsTests cannot import JSONSchema (Projections must not depend on it), so this is a
/// stand-in; the full check of decided events against the real validator belongs to the
/// server's tests. A keyword it does not know is reported as a violation, so a schema that grows
/// past it fails loudly instead of passing unchecked.
struct SchemaSubsetValidator {
    /// The schema of each event type's data.
    let events: [String: JSONValue]

    /// The validator of `Schemas/<objectType>.schema.json`, found from this file's path.
    init(objectType: String) throws {
        let tests = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        let schema = tests.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Schemas/\(objectType).schema.json")
        events = try JSONValue(parsing: String(contentsOf: schema, encoding: .utf8))["events"]?.objectValue ?? [:]
    }

    /// What is wrong with `data` as the data of an event of `type`, as JSON pointers and
    /// reasons; empty when it conforms.
    func violations(type: String, data: JSONValue) -> [String] {
        guard let schema = events[type] else { return ["\(type) is not declared"] }
        var found: [String] = []
        check(data, against: schema, at: "", into: &found)
        return found
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at pointer: String, into found: inout [String]) {
        guard let keywords = schema.objectValue else {
            found.append("\(pointer): the schema is not an object")
            return
        }
        for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) {
            switch keyword {
            case "$schema", "description":
                continue
            case "type":
                if !Self.hasType(value, argument.stringValue ?? "") { found.append("\(pointer): not of type \(argument.jsonText)") }
            case "required":
                for name in argument.arrayValue ?? [] where value[name.stringValue ?? ""] == nil {
                    found.append("\(pointer): \(name.jsonText) is missing")
                }
            case "properties":
                for (name, member) in value.objectValue ?? [:] {
                    if let memberSchema = argument[name] { check(member, against: memberSchema, at: "\(pointer)/\(name)", into: &found) }
                }
            case "additionalProperties":
                guard argument == false else {
                    found.append("\(pointer): additionalProperties other than false is not supported")
                    continue
                }
                for name in (value.objectValue ?? [:]).keys where keywords["properties"]?[name] == nil {
                    found.append("\(pointer)/\(name): not allowed")
                }
            case "minLength", "maxLength":
                guard let text = value.stringValue, let limit = argument.integerValue else { continue }
                let length = text.unicodeScalars.count
                if keyword == "minLength" ? length < limit : length > limit {
                    found.append("\(pointer): length \(length) breaks \(keyword) \(limit)")
                }
            case "pattern":
                guard let text = value.stringValue else { continue }
                guard let allowed = Self.characterClass(argument.stringValue ?? "") else {
                    found.append("\(pointer): pattern \(argument.jsonText) is not supported")
                    continue
                }
                if text.isEmpty || !text.unicodeScalars.allSatisfy({ scalar in allowed.contains { $0.contains(scalar) } }) {
                    found.append("\(pointer): does not match \(argument.jsonText)")
                }
            case "enum":
                if !(argument.arrayValue ?? []).contains(value) { found.append("\(pointer): not one of \(argument.jsonText)") }
            case "minimum", "maximum":
                guard let number = value.numberValue, let limit = argument.numberValue else { continue }
                if keyword == "minimum" ? number < limit : number > limit { found.append("\(pointer): \(number) breaks \(keyword) \(limit)") }
            default:
                found.append("\(pointer): keyword \(keyword) is not supported by this stand-in")
            }
        }
    }

    private static func hasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("number", .number), ("null", .null): true
        case ("integer", .number): value.integerValue != nil
        default: false
        }
    }

    /// The ranges of a `^[...]+$` pattern, e.g. `0-9a-zA-Z`; nil for any other pattern.
    private static func characterClass(_ pattern: String) -> [ClosedRange<Unicode.Scalar>]? {
        guard pattern.hasPrefix("^["), pattern.hasSuffix("]+$") else { return nil }
        let body = Array(pattern.unicodeScalars.dropFirst(2).dropLast(3))
        var ranges: [ClosedRange<Unicode.Scalar>] = []
        var index = 0
        while index < body.count {
            guard !["\\", "^", "[", "]"].contains(body[index]) else { return nil }
            if index + 2 < body.count, body[index + 1] == "-" {
                guard body[index] <= body[index + 2] else { return nil }
                ranges.append(body[index]...body[index + 2])
                index += 3
            } else {
                ranges.append(body[index]...body[index])
                index += 1
            }
        }
        return ranges
    }
}
