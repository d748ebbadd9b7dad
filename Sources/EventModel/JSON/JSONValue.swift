/// A JSON value as a tree, for the code that must look inside event data: schema validation,
/// reducers and deciders.
///
/// Numbers are `Double` (exact for integers up to 2^53). Objects are dictionaries; anything that
/// turns a value back into text sorts the keys, so equal values always give equal bytes.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses one JSON text (RFC 8259).
    /// - Throws: ``JSONSyntaxError`` with the offset where the text stops being JSON.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) {
        var scanner = JSONScanner(bytes)
        self = try scanner.readValue()
        try scanner.expectEnd()
    }

    /// Parses one JSON text given as a string.
    public init(parsing text: String) throws(JSONSyntaxError) {
        let bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeBytes { bytes in Result { () throws(JSONSyntaxError) in try JSONValue(parsing: bytes) } }
        self = try parsed.get()
    }

    /// The compact JSON text, keys sorted.
    public var jsonText: String {
        var writer = JSONWriter()
        writer.value(self)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The member `key` of an object; nil for a missing member or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if this is one.
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an `Int`, if this is a whole number that fits.
    public var integerValue: Int? {
        guard case .number(let value) = self, value.rounded(.towardZero) == value, abs(value) < 0x1p63 else { return nil }
        return Int(value)
    }

    /// The Boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Its size as compact JSON, roughly (strings and keys by their UTF-8 length, numbers as 8
    /// bytes): what a queue weighs a request by, at the cost of one walk of the tree.
    public var estimatedBytes: Int {
        switch self {
        case .null, .bool: return 5
        case .number: return 8
        case .string(let text): return text.utf8.count + 2
        case .array(let elements): return elements.reduce(2) { $0 + $1.estimatedBytes + 1 }
        case .object(let members): return members.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.estimatedBytes }
        }
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension JSONScanner {
    /// Reads the next value into a tree (validating it, as ``skipValue()`` does).
    public mutating func readValue() throws(JSONSyntaxError) -> JSONValue {
        try readValue(depth: 0)
    }

    private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.depthMax else { throw JSONSyntaxError(offset: offset, reason: "nested deeper than \(Self.depthMax) levels") }
        switch peekKind() {
        case .object:
            var members: [String: JSONValue] = [:]
            do {
                try readObject { key, value in members[key] = try value.readValue(depth: depth + 1) }
            } catch let error as JSONSyntaxError {
                throw error
            } catch {
                preconditionFailure("readValue throws only syntax errors")
            }
            return .object(members)
        case .array:
            var elements: [JSONValue] = []
            do {
                try readArray { element in elements.append(try element.readValue(depth: depth + 1)) }
            } catch let error as JSONSyntaxError {
                throw error
            } catch {
                preconditionFailure("readValue throws only syntax errors")
            }
            return .array(elements)
        case .string: return .string(try readString())
        case .bool: return .bool(try readBool())
        case .null:
            _ = try readNull()
            return .null
        case .number:
            let range = try skipValue()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            // A number past a double's range would be held as an infinity, which JSON cannot
            // write back (found by fuzzing: it came back as null).
            guard let number = Double(text), number.isFinite else {
                throw JSONSyntaxError(offset: range.lowerBound, reason: "a number past a double's range (about 1.8e308)")
            }
            return .number(number)
        case nil:
            _ = try skipValue()
            preconditionFailure("skipValue throws before a value that is not one")
        }
    }
}

extension JSONWriter {
    /// Appends `value` as compact JSON with object keys sorted, so equal values give equal
    /// bytes. Whole numbers are written without a fraction (`10`, not `10.0`).
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: ascii("null")
        case .bool(let flag): flag ? ascii("true") : ascii("false")
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            byte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                self.value(element)
            }
            byte(UInt8(ascii: "]"))
        case .object(let members):
            byte(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                string(key)
                byte(UInt8(ascii: ":"))
                self.value(members[key]!)
            }
            byte(UInt8(ascii: "}"))
        }
    }
}
