import EventModel

/// `Schemas/building.schema.json`, restated by hand: this target cannot import JSONSchema, so the
/// full conformance check of decided events belongs to the server's tests. Keep the two in step.
enum BuildingSchema {
    /// What a member of an event's data must be.
    enum Field {
        case string(ClosedRange<Int>)
        case number
        case integer
        case oneOf(Set<String>)

        func admits(_ value: JSONValue) -> Bool {
            switch self {
            case .string(let lengths):
                guard let text = value.stringValue else { return false }
                return lengths.contains(text.unicodeScalars.count)
            case .number:
                guard let number = value.numberValue else { return false }
                return number.magnitude <= 1e100
            case .integer:
                guard let integer = value.integerValue else { return false }
                return integer >= 0
            case .oneOf(let names):
                return value.stringValue.map(names.contains) ?? false
            }
        }
    }

    /// Whether `value` is an object with every `required` member, no member outside `fields`, and
    /// each member admitted by its field.
    static func conforms(_ value: JSONValue, fields: [String: Field], required: Set<String>) -> Bool {
        guard let members = value.objectValue else { return false }
        guard required.isSubset(of: members.keys) else { return false }
        return members.allSatisfy { key, member in fields[key]?.admits(member) ?? false }
    }

    static let severities: Field = .oneOf(["info", "warning", "critical"])
    static let readingFields: [String: Field] = [
        "sensorId": .string(1...128), "sensorType": .string(1...64), "value": .number, "unit": .string(1...32),
        "quality": .oneOf(["good", "uncertain", "bad"]), "timestamp": .integer,
    ]
    static let ruleFields: [String: Field] = [
        "ruleId": .string(1...128), "sensorType": .string(1...64), "sensorId": .string(1...128),
        "condition": .oneOf(["gt", "lt", "gte", "lte", "eq", "neq", "range_outside"]), "threshold": .number, "min": .number, "max": .number,
        "severity": severities, "cooldownSeconds": .integer,
    ]

    /// Whether the data of a building event of `type` fits its schema.
    static func admits(_ type: String, _ data: JSONValue) -> Bool {
        switch type {
        case "ReadingsRecorded":
            guard data.objectValue?.keys.sorted() == ["readings"], let readings = data["readings"]?.arrayValue, (1...5_000).contains(readings.count)
            else {
                return false
            }
            return readings.allSatisfy { conforms($0, fields: readingFields, required: ["sensorId", "sensorType", "value", "unit", "timestamp"]) }
        case "AlertRuleAdded":
            guard conforms(data, fields: ruleFields, required: ["ruleId", "sensorType", "condition", "severity", "cooldownSeconds"]) else {
                return false
            }
            guard let cooldown = data["cooldownSeconds"]?.integerValue, cooldown <= 31_536_000 else { return false }
            return data["condition"] == "range_outside" ? data["min"] != nil && data["max"] != nil : data["threshold"] != nil
        case "AlertRaised":
            let fields: [String: Field] = [
                "alertId": .string(1...128), "ruleId": .string(1...128), "sensorId": .string(1...128), "value": .number, "severity": severities,
                "timestamp": .integer,
            ]
            return conforms(data, fields: fields, required: Set(fields.keys))
        case "AlertAcknowledged":
            return conforms(data, fields: ["alertId": .string(1...128), "userId": .string(1...128)], required: ["alertId", "userId"])
        case "AlertResolved":
            return conforms(data, fields: ["alertId": .string(1...128)], required: ["alertId"])
        default:
            return false
        }
    }
}
