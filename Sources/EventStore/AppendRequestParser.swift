import EventModel

/// Why an append body was refused. Nothing is written for a refused body.
public enum AppendRequestError: Error, Sendable, Equatable {
    /// The body is not JSON.
    case malformedJSON(JSONSyntaxError)
    /// A field has the wrong shape; `pointer` is its JSON Pointer (RFC 6901), e.g. `/events/2/type`.
    case invalidField(pointer: String, reason: String)
    /// A size limit is broken (see ``AppendLimits``).
    case tooLarge(field: String, limit: Int, actual: Int)
}

/// The parts of an append body: `{"expectedVersion": N?, "events": [{"type", "data", "id"?, "metadata"?}]}`.
public struct ParsedAppend: Sendable {
    /// The expectation the body states; nil when it has none.
    public var expectedVersion: ExpectedVersion?
    /// The events, packed.
    public var events: EventBatch
    /// Each event's type, in order.
    public var eventTypes: [String]
    /// Each event's `data` as a tree, in order, when the parse was asked to keep them (for
    /// schema validation); empty otherwise. Read in the same pass as the rest of the body.
    public var dataValues: [JSONValue]
}

/// Reads an append body in one pass: the envelope is parsed, and each event's `data` and
/// `metadata` are validated and kept as compact bytes, never decoded into a tree.
public enum AppendRequestParser {
    /// The longest event type, in bytes.
    public static let eventTypeLengthMax = 128

    /// Parses `body` in one pass. With `keepingData`, each event's `data` is also returned as a
    /// tree (read in that same pass), for validation against a schema.
    /// - Throws: ``AppendRequestError`` naming the first field that is wrong.
    public static func parse(_ body: UnsafeRawBufferPointer, limits: AppendLimits, keepingData: Bool = false) throws(AppendRequestError) -> ParsedAppend {
        var scanner = JSONScanner(body)
        var expected: ExpectedVersion?
        var events = EventBatch(limits: limits)
        var parts = EventParts(keepingData: keepingData)
        var sawEvents = false
        var compact = JSONWriter(capacity: 512)
        do {
            try require(.object, &scanner, pointer: "", reason: "the body must be a JSON object")
            var envelopeMembers = Set<String>()
            try scanner.readObject { key, value in
                guard envelopeMembers.insert(key).inserted else {
                    throw AppendRequestError.invalidField(pointer: "/\(key)", reason: "appears twice")
                }
                switch key {
                case "expectedVersion":
                    expected = try readExpectedVersion(&value)
                case "events":
                    sawEvents = true
                    try require(.array, &value, pointer: "/events", reason: "must be an array of events")
                    var index = 0
                    var seen = Set<EventID>()
                    try value.readArray { element in
                        try readEvent(&element, index: index, into: &events, parts: &parts, seen: &seen, compact: &compact)
                        index += 1
                    }
                default:
                    throw AppendRequestError.invalidField(pointer: "/\(key)", reason: "unknown member; expected expectedVersion and events")
                }
            }
            try scanner.expectEnd()
        } catch let error as AppendRequestError {
            throw error
        } catch let error as JSONSyntaxError {
            throw .malformedJSON(error)
        } catch let EventStoreError.requestTooLarge(field, limit, actual) {
            throw .tooLarge(field: field, limit: limit, actual: actual)
        } catch let EventStoreError.invalidRequest(field, reason) {
            throw .invalidField(pointer: field, reason: reason)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        guard sawEvents else { throw .invalidField(pointer: "/events", reason: "is required") }
        guard events.count > 0 else { throw .invalidField(pointer: "/events", reason: "must hold at least one event") }
        return ParsedAppend(expectedVersion: expected, events: events, eventTypes: parts.types, dataValues: parts.data)
    }

    /// What the parse collects per event besides the packed batch.
    private struct EventParts {
        let keepingData: Bool
        var types: [String] = []
        var data: [JSONValue] = []
    }

    private static func readExpectedVersion(_ value: inout JSONScanner) throws -> ExpectedVersion? {
        if try value.readNull() { return nil }
        try require(.number, &value, pointer: "/expectedVersion", reason: "must be a whole number >= 0 or null")
        let number: Int64
        do { number = try value.readInteger() } catch {
            throw AppendRequestError.invalidField(pointer: "/expectedVersion", reason: "must be a whole number >= 0 or null")
        }
        guard number >= 0 else {
            throw AppendRequestError.invalidField(pointer: "/expectedVersion", reason: "must be >= 0 (0: the object must be new)")
        }
        return .exactly(UInt64(number))
    }

    private static func readEvent(
        _ element: inout JSONScanner, index: Int, into events: inout EventBatch, parts: inout EventParts,
        seen: inout Set<EventID>, compact: inout JSONWriter
    ) throws {
        let pointer = "/events/\(index)"
        try require(.object, &element, pointer: pointer, reason: "must be an object with type and data")
        var type: String?
        var id: EventID?
        var dataRange: Range<Int>?
        var metadataRange: Range<Int>?
        var members = Set<String>()
        try element.readObject { key, value in
            guard members.insert(key).inserted else {
                throw AppendRequestError.invalidField(pointer: "\(pointer)/\(key)", reason: "appears twice")
            }
            switch key {
            case "type":
                try require(.string, &value, pointer: "\(pointer)/type", reason: "must be a string")
                type = try value.readString()
            case "id":
                if try value.readNull() { return }
                guard value.peekKind() == .string, let parsed = EventID(parsing: try value.readString()) else {
                    throw AppendRequestError.invalidField(pointer: "\(pointer)/id", reason: "must be a UUID such as 0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d")
                }
                guard seen.insert(parsed).inserted else {
                    throw AppendRequestError.invalidField(pointer: "\(pointer)/id", reason: "appears twice in this request")
                }
                id = parsed
            case "data":
                try require(.object, &value, pointer: "\(pointer)/data", reason: "must be a JSON object")
                if parts.keepingData {
                    let start = value.offset
                    parts.data.append(try value.readValue())
                    dataRange = start..<value.offset
                } else {
                    dataRange = try value.skipValue()
                }
            case "metadata":
                if try value.readNull() { return }
                try require(.object, &value, pointer: "\(pointer)/metadata", reason: "must be a JSON object or null")
                metadataRange = try value.skipValue()
            default:
                throw AppendRequestError.invalidField(pointer: "\(pointer)/\(key)", reason: "unknown member; expected type, data, id and metadata")
            }
        }
        guard let type else { throw AppendRequestError.invalidField(pointer: "\(pointer)/type", reason: "is required") }
        try validateEventType(type, pointer: "\(pointer)/type")
        parts.types.append(type)
        guard let dataRange else { throw AppendRequestError.invalidField(pointer: "\(pointer)/data", reason: "is required") }
        compact.bytes.removeAll(keepingCapacity: true)
        compact.compact(UnsafeRawBufferPointer(rebasing: element.bytes[dataRange]))
        let dataCount = compact.bytes.count
        if let metadataRange { compact.compact(UnsafeRawBufferPointer(rebasing: element.bytes[metadataRange])) }
        var typeName = type
        try typeName.withUTF8 { typeBytes in
            try compact.bytes.withUnsafeBytes { payload in
                try events.add(
                    id: id, type: UnsafeRawBufferPointer(typeBytes),
                    data: UnsafeRawBufferPointer(rebasing: payload[..<dataCount]),
                    metadata: UnsafeRawBufferPointer(rebasing: payload[dataCount...]))
            }
        }
    }

    /// Throws unless the next value is of `kind`: a syntax error when it is not JSON at all,
    /// otherwise a field error naming `pointer`.
    private static func require(_ kind: JSONKind, _ scanner: inout JSONScanner, pointer: String, reason: String) throws {
        guard let found = scanner.peekKind() else {
            _ = try scanner.skipValue()
            throw AppendRequestError.invalidField(pointer: pointer, reason: reason)
        }
        if found != kind { throw AppendRequestError.invalidField(pointer: pointer, reason: reason) }
    }

    /// Checks an event type: 1-128 characters of `[A-Za-z0-9._:-]`.
    static func validateEventType(_ type: String, pointer: String) throws(AppendRequestError) {
        let utf8 = type.utf8
        guard !utf8.isEmpty, utf8.count <= eventTypeLengthMax else {
            throw .invalidField(pointer: pointer, reason: "must be 1-\(eventTypeLengthMax) characters")
        }
        guard utf8.allSatisfy(isEventTypeByte) else {
            throw .invalidField(pointer: pointer, reason: "may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'")
        }
    }

    /// Whether `byte` may appear in an event type.
    static func isEventTypeByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
    }
}
