import EventModel
import JSONSchema
import Testing

/// What a client of the engine sees: where each violation is, what it says, and how a bad
/// schema is refused.
@Suite("Schema violations and schema errors")
struct ViolationTests {
    private func schema(_ text: String) throws -> JSONSchema {
        try JSONSchema(try JSONValue(parsing: text))
    }

    private func violations(_ schemaText: String, _ instanceText: String) throws -> [SchemaViolation] {
        try schema(schemaText).validate(try JSONValue(parsing: instanceText))
    }

    private static let order = #"""
        {
          "type": "object",
          "required": ["orderId", "items"],
          "properties": {
            "orderId": {"type": "string", "maxLength": 8},
            "items": {"type": "array", "items": {"$ref": "#/$defs/line"}}
          },
          "additionalProperties": false,
          "$defs": {
            "line": {
              "type": "object",
              "required": ["sku", "qty"],
              "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
            }
          }
        }
        """#

    @Test("a nested failure points at the offending value and says what is wrong")
    func nestedPointer() throws {
        let found = try violations(
            Self.order, #"{"orderId": "o-1", "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}, {"sku": "c", "qty": -3}]}"#
        )
        #expect(found == [SchemaViolation(instancePointer: "/items/2/qty", keyword: "minimum", message: "must be >= 1, got -3")])
    }

    @Test("every violation is reported, in document order")
    func everyViolation() throws {
        let found = try violations(Self.order, #"{"items": [{"qty": 1.5}, "x"], "note": 1}"#)
        #expect(found.map(\.instancePointer) == ["", "/items/0", "/items/0/qty", "/items/1", "/note"])
        #expect(found.map(\.keyword) == ["required", "required", "type", "type", "additionalProperties"])
        #expect(
            found.map(\.message) == [
                "missing required property \"orderId\"",
                "missing required property \"sku\"",
                "must be of type integer, got number",
                "must be of type object, got string",
                "property \"note\" is not allowed (the schema lists the properties it allows)",
            ])
    }

    @Test("string lengths count code points")
    func stringLength() throws {
        let found = try violations(Self.order, #"{"orderId": "order-1234😀", "items": []}"#)
        #expect(
            found == [
                SchemaViolation(
                    instancePointer: "/orderId", keyword: "maxLength", message: "must be at most 8 characters long, got 11")
            ])
    }

    @Test("a valid instance has no violations")
    func valid() throws {
        #expect(try violations(Self.order, #"{"orderId": "o-1", "items": [{"sku": "a", "qty": 5}]}"#).isEmpty)
    }

    @Test("member names are escaped in pointers")
    func escapedPointer() throws {
        let found = try violations(
            #"{"properties": {"a/b": {"properties": {"c~d": {"type": "string"}}}}}"#, #"{"a/b": {"c~d": 1}}"#)
        #expect(found.map(\.instancePointer) == ["/a~1b/c~0d"])
    }

    @Test("a failed anyOf is one violation that summarizes each alternative")
    func anyOfSummary() throws {
        let found = try violations(
            #"{"anyOf": [{"type": "string"}, {"type": "object", "properties": {"n": {"minimum": 0}}}]}"#, #"{"n": -3}"#)
        #expect(found.count == 1)
        #expect(found.first?.instancePointer == "")
        #expect(found.first?.keyword == "anyOf")
        let expected = "must match at least one schema in anyOf, but matches none: "
            + "schema 1: must be of type string, got object; schema 2: at /n: must be >= 0, got -3"
        #expect(found.first?.message == expected)
    }

    @Test("oneOf says which alternatives matched when more than one did")
    func oneOfSummary() throws {
        let found = try violations(#"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"#, "5")
        #expect(found.map(\.message) == ["must match exactly one schema in oneOf, but matches schemas 1 and 2"])
    }

    @Test("a reference cycle that never moves into the instance ends with a violation")
    func referenceCycle() throws {
        let found = try violations(
            ##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##, "1")
        #expect(found.map(\.keyword) == ["$ref"])
    }

    @Test("a cycle through anyOf ends at once instead of trying every alternative at every level")
    func referenceCycleThroughAnyOf() throws {
        let cyclic = try schema(##"{"anyOf": [{"$ref": "#"}, {"$ref": "#"}, {"$ref": "#"}]}"##)
        #expect(cyclic.validate(.null).map(\.keyword) == ["$ref"])
    }

    @Test("a recursive schema follows an instance as deep as the parser allows")
    func deepRecursion() throws {
        let tree = try schema(##"{"type": ["array", "integer"], "items": {"$ref": "#"}}"##)
        let depth = JSONScanner.depthMax - 1
        let text = String(repeating: "[", count: depth) + "\"leaf\"" + String(repeating: "]", count: depth)
        let found = tree.validate(try JSONValue(parsing: text))
        #expect(found.map(\.instancePointer) == [String(repeating: "/0", count: depth)])
        #expect(found.map(\.message) == ["must be of type array or integer, got string"])
    }

    @Test("a $dynamicRef resolves to the outermost resource with the anchor")
    func dynamicReference() throws {
        let strictList = try schema(
            ##"""
            {
              "$id": "https://example.com/strict-list", "$ref": "list", "$defs": {
                "list": {"$id": "list", "type": "array", "items": {"$dynamicRef": "#element"},
                         "$defs": {"anything": {"$dynamicAnchor": "element"}}},
                "element": {"$dynamicAnchor": "element", "type": "string"}
              }
            }
            """##)
        #expect(strictList.validate(try JSONValue(parsing: #"["a", "b"]"#)).isEmpty)
        #expect(strictList.validate(try JSONValue(parsing: #"["a", 2]"#)).map(\.instancePointer) == ["/1"])
    }

    @Test("a schema can be validated against the built-in metaschema")
    func metaschema() throws {
        let metaschema = try schema(#"{"$ref": "https://json-schema.org/draft/2020-12/schema"}"#)
        #expect(metaschema.validate(try JSONValue(parsing: Self.order)).isEmpty)
        let found = metaschema.validate(try JSONValue(parsing: #"{"properties": {"a": {"minLength": -1}}}"#))
        #expect(found.map(\.instancePointer) == ["/properties/a/minLength"])
    }

    @Test(
        "invalid schemas are refused with the place and the reason",
        arguments: [
            (#"{"type": "strin"}"#, SchemaError.Code.invalidKeyword, "/type"),
            (#"{"properties": {"a": {"minLength": -1}}}"#, .invalidKeyword, "/properties/a/minLength"),
            (#"{"items": 3}"#, .invalidKeyword, "/items"),
            (#"{"required": ["a", "a"]}"#, .invalidKeyword, "/required"),
            (#"{"allOf": []}"#, .invalidKeyword, "/allOf"),
            (#"{"$defs": {"x": {"maximum": "10"}}}"#, .invalidKeyword, "/$defs/x/maximum"),
            (##"{"$ref": "#/$defs/missing"}"##, .unresolvedReference, "/$ref"),
            (#"{"$ref": "https://example.com/other.json"}"#, .unresolvedReference, "/$ref"),
            (##"{"$ref": "#nowhere"}"##, .unresolvedReference, "/$ref"),
            (#"{"pattern": "(unclosed"}"#, .invalidPattern, "/pattern"),
            (#"{"patternProperties": {"[": true}}"#, .invalidPattern, "/patternProperties/["),
            (#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#, .unsupportedDialect, "/$schema"),
            (#"{"$defs": {"a": {"$anchor": "x"}, "b": {"$anchor": "x"}}}"#, .duplicateIdentifier, "/$defs/b/$anchor"),
            ("3", .invalidKeyword, ""),
        ])
    func invalidSchema(_ text: String, _ code: SchemaError.Code, _ pointer: String) throws {
        let error = try #require(throws: SchemaError.self) { try JSONSchema(try JSONValue(parsing: text)) }
        #expect(error.code == code)
        #expect(error.schemaPointer == pointer)
        #expect(!error.message.isEmpty)
    }

    @Test("string equality counts code points; numbers compare by value")
    func equality() throws {
        #expect(try violations(#"{"const": "\u00e9"}"#, #""e\u0301""#).map(\.keyword) == ["const"])
        #expect(try violations(#"{"uniqueItems": true}"#, #"["\u00e9", "e\u0301"]"#).isEmpty)
        #expect(
            try violations(#"{"uniqueItems": true}"#, #"[{"a": 1, "b": [2]}, {"b": [2.0], "a": 1.0}]"#).map(\.message) == [
                #"must not contain duplicates; items 0 and 1 are both {"a":1,"b":[2]}"#
            ])
    }

    @Test("multipleOf allows for binary rounding of decimal fractions")
    func multipleOfTolerance() throws {
        let cents = try schema(#"{"multipleOf": 0.01}"#)
        for amount in [0.07, 19.99, 1.1, 0.3, 1e9 + 0.01] {
            #expect(cents.validate(.number(amount)).isEmpty, "\(amount)")
        }
        #expect(cents.validate(.number(0.075)).map(\.message) == ["must be a multiple of 0.01, got 0.075"])
        #expect(try schema(#"{"multipleOf": 0.1}"#).validate(.number(0.3)).isEmpty)
    }

    @Test("patterns use ECMA-262 meanings of \\d and $")
    func ecmaPatterns() throws {
        let digits = try schema(#"{"pattern": "^\\d+$"}"#)
        #expect(digits.validate(.string("123")).isEmpty)
        #expect(!digits.validate(.string("١٢٣")).isEmpty)  // Arabic-Indic digits are not \d
        #expect(!digits.validate(.string("123\n")).isEmpty)  // $ is the very end
    }
}
