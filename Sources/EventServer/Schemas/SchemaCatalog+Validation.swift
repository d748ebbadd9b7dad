import EventModel
import EventStore
import JSONSchema

/// One reason an append's events do not match their schemas.
public struct EventViolation: Sendable, Equatable {
    /// The event's index in the request.
    public let event: Int
    /// Where in the request: a JSON Pointer such as `/events/0/data/qty`.
    public let pointer: String
    /// The schema keyword that failed (`minimum`, `required`, ...; `events` for an unknown event type).
    public let keyword: String
    /// What is wrong, for a person.
    public let message: String
}

/// What the catalog says of an append.
public enum SchemaVerdict: Sendable, Equatable {
    /// Every event matches its schema (or the type is undeclared and that is allowed).
    case valid
    /// The object type has no schema file, and undeclared types are not allowed.
    case undeclaredType
    /// Some events do not match: every violation, in order.
    case invalid([EventViolation])
}

extension SchemaCatalog {
    /// Whether the data of an append must be kept as trees to be validated.
    public func needsData(for objectType: ObjectType) -> Bool { types[objectType.name] != nil }

    /// Checks every event of an append to `objectType` (types and data as parsed, in order).
    public func validate(objectType: ObjectType, eventTypes: [String], data: [JSONValue]) -> SchemaVerdict {
        guard let declared = types[objectType.name] else { return allowsUndeclared ? .valid : .undeclaredType }
        var violations: [EventViolation] = []
        for (index, eventType) in eventTypes.enumerated() {
            guard let schema = declared.events[eventType] else {
                let known = declared.events.keys.sorted().joined(separator: ", ")
                violations.append(
                    EventViolation(
                        event: index, pointer: "/events/\(index)/type", keyword: "events",
                        message: "\(objectType) has no event type \(eventType); it has \(known)"))
                continue
            }
            for violation in schema.validate(data[index]) {
                violations.append(
                    EventViolation(
                        event: index, pointer: "/events/\(index)/data\(violation.instancePointer)", keyword: violation.keyword,
                        message: violation.message))
            }
        }
        return violations.isEmpty ? .valid : .invalid(violations)
    }
}
