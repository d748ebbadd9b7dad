import EventModel
import Testing

@Suite("JSON Patch (RFC 6902)")
struct JSONPatchTests {
    // MARK: - Diff

    @Test func testDiffOfEqualValuesIsEmpty() {
        let values: [JSONValue] = [
            nil, true, 0, -2.5, "", "text", [], [1, [2, nil]], [:], ["a": ["b": [1, 2]], "c": false],
        ]
        for value in values {
            #expect(JSONPatch.diff(from: value, to: value) == [], "\(value.jsonText)")
        }
        #expect(JSONPatch.diff(from: ["x": 1, "y": 2], to: ["y": 2, "x": 1.0]) == [])
    }

    @Test func testDiffOfObjectsAddsRemovesAndReplacesInKeyOrder() {
        let source: JSONValue = ["keep": 1, "gone": true, "changed": "old", "kind": [1]]
        let target: JSONValue = ["keep": 1, "new": nil, "changed": "new", "kind": ["n": 1]]
        #expect(JSONPatch.diff(from: source, to: target) == [
                ["op": "replace", "path": "/changed", "value": "new"],
                ["op": "remove", "path": "/gone"],
                ["op": "replace", "path": "/kind", "value": ["n": 1]],
                ["op": "add", "path": "/new", "value": nil],
            ])
    }

    @Test func testDiffRecursesIntoNestedValues() {
        let source: JSONValue = ["order": ["lines": [["sku": "a", "qty": 1], ["sku": "b", "qty": 2]], "note": "x"]]
        let target: JSONValue = ["order": ["lines": [["sku": "a", "qty": 3], ["sku": "b", "qty": 2]]]]
        #expect(JSONPatch.diff(from: source, to: target) == [
                ["op": "replace", "path": "/order/lines/0/qty", "value": 3],
                ["op": "remove", "path": "/order/note"],
            ])
    }

    @Test func testDiffOfDifferentKindsReplacesTheWholeValue() {
        #expect(JSONPatch.diff(from: [1, 2], to: ["0": 1]) == [["op": "replace", "path": "", "value": ["0": 1]]])
        #expect(JSONPatch.diff(from: 1, to: "1") == [["op": "replace", "path": "", "value": "1"]])
        #expect(JSONPatch.diff(from: ["a": nil], to: ["a": false]) == [["op": "replace", "path": "/a", "value": false]])
    }

    @Test func testDiffOfAGrowingArrayAddsAtTheEnd() throws {
        let source: JSONValue = ["list": [1, 2]]
        let target: JSONValue = ["list": [1, 5, 3, [4]]]
        let patch = JSONPatch.diff(from: source, to: target)
        #expect(patch == [
                ["op": "replace", "path": "/list/1", "value": 5],
                ["op": "add", "path": "/list/2", "value": 3],
                ["op": "add", "path": "/list/3", "value": [4]],
            ])
        #expect(try JSONPatch.apply(patch, to: source) == target)
    }

    @Test func testDiffOfAShrinkingArrayRemovesFromTheEndBackwards() throws {
        let source: JSONValue = [0, 1, 2, 3, 4]
        let target: JSONValue = [0, 9]
        let patch = JSONPatch.diff(from: source, to: target)
        #expect(patch == [
                ["op": "replace", "path": "/1", "value": 9],
                ["op": "remove", "path": "/4"],
                ["op": "remove", "path": "/3"],
                ["op": "remove", "path": "/2"],
            ])
        #expect(try JSONPatch.apply(patch, to: source) == target)
        #expect(try JSONPatch.apply(JSONPatch.diff(from: source, to: []), to: source) == [])
    }

    @Test func testDiffEscapesSlashAndTildeInMemberNames() throws {
        let source: JSONValue = ["a/b": 1, "m~n": 2, "~1": 3, "": 4]
        let target: JSONValue = ["a/b": 10, "m~n": 20, "~1": 30, "": 40]
        let patch = JSONPatch.diff(from: source, to: target)
        #expect(patch == [
                ["op": "replace", "path": "/", "value": 40],
                ["op": "replace", "path": "/a~1b", "value": 10],
                ["op": "replace", "path": "/m~0n", "value": 20],
                ["op": "replace", "path": "/~01", "value": 30],
            ])
        #expect(try JSONPatch.apply(patch, to: source) == target)
    }

    /// `apply(diff(a, b), a) == b` for seeded random pairs, both unrelated and one derived from
    /// the other by small edits, including after the patch goes through JSON text.
    @Test func testApplyingTheDiffGivesTheTarget() throws {
        var random = SplitMix64(seed: 0x6902)
        for round in 0..<400 {
            let source = Self.randomValue(depth: 4, using: &random)
            let target = round.isMultiple(of: 4) ? Self.randomValue(depth: 4, using: &random) : Self.mutated(source, depth: 4, using: &random)
            let patch = JSONPatch.diff(from: source, to: target)
            let context = "round \(round): \(source.jsonText) -> \(target.jsonText) by \(JSONValue.array(patch).jsonText)"
            #expect(try JSONPatch.apply(patch, to: source) == target, "\(context)")
            #expect(patch.isEmpty == (source == target), "\(context)")
            #expect(JSONPatch.diff(from: source, to: target) == patch, "not deterministic: \(context)")
            let reparsed = try JSONValue(parsing: JSONValue.array(patch).jsonText)
            #expect(try JSONPatch.apply(reparsed.arrayValue ?? [], to: source) == target, "\(context)")
            #expect(try JSONPatch.apply(JSONPatch.diff(from: target, to: source), to: target) == source, "\(context)")
        }
    }

    // MARK: - Apply

    @Test func testApplyMovesCopiesAndTests() throws {
        let document: JSONValue = ["a": ["b": [1, 2, 3]], "c": "x"]
        let patch: [JSONValue] = [
            ["op": "test", "path": "/a/b/1", "value": 2.0],
            ["op": "copy", "from": "/a/b", "path": "/d"],
            ["op": "move", "from": "/a/b/0", "path": "/a/b/-"],
            ["op": "move", "from": "/c", "path": "/a/c"],
            ["op": "move", "from": "/a", "path": "/a"],
            ["op": "add", "path": "/d/0", "value": nil],
        ]
        #expect(try JSONPatch.apply(patch, to: document) == ["a": ["b": [2, 3, 1], "c": "x"], "d": [nil, 1, 2, 3]])
        #expect(try JSONPatch.apply([["op": "add", "path": "", "value": [1]]], to: document) == [1])
        #expect(try JSONPatch.apply([["op": "replace", "path": "", "value": "all"]], to: document) == "all")
        #expect(try JSONPatch.apply([], to: document) == document)
    }

    @Test func testFailedTestStopsThePatch() {
        let document: JSONValue = ["a": 1]
        let error = applyError([["op": "add", "path": "/b", "value": 2], ["op": "test", "path": "/a", "value": 2]], to: document)
        #expect(error?.operationIndex == 1)
        #expect(error?.code == .testFailed)
        #expect(error?.pointer == "/a")
        #expect(applyError([["op": "test", "path": "/a", "value": "1"]], to: document)?.code == .testFailed)
        #expect(applyError([["op": "test", "path": "/missing", "value": nil]], to: document)?.code == .pathNotFound)
    }

    @Test func testMissingPathsAreRefused() {
        let document: JSONValue = ["a": ["b": 1], "list": [1, 2]]
        let cases: [(JSONValue, String)] = [
            (["op": "remove", "path": "/missing"], "/missing"),
            (["op": "remove", "path": "/a/b/c"], "/a/b/c"),
            (["op": "remove", "path": "/list/2"], "/list/2"),
            (["op": "remove", "path": "/list/-"], "/list/-"),
            (["op": "remove", "path": "/list/01"], "/list/01"),
            (["op": "remove", "path": ""], ""),
            (["op": "replace", "path": "/x", "value": 1], "/x"),
            (["op": "add", "path": "/list/3", "value": 1], "/list/3"),
            (["op": "add", "path": "/list/x", "value": 1], "/list/x"),
            (["op": "add", "path": "/x/y", "value": 1], "/x/y"),
            (["op": "move", "from": "/x", "path": "/y"], "/x"),
            (["op": "copy", "from": "/list/5", "path": "/y"], "/list/5"),
        ]
        for (operation, pointer) in cases {
            let error = applyError([["op": "test", "path": "/a/b", "value": 1], operation], to: document)
            #expect(error?.operationIndex == 1, "\(operation.jsonText)")
            #expect(error?.code == .pathNotFound, "\(operation.jsonText)")
            #expect(error?.pointer == pointer, "\(operation.jsonText)")
        }
    }

    @Test func testMalformedOperationsAndPointersAreRefused() {
        let document: JSONValue = ["a": 1]
        let malformed: [JSONValue] = [
            "add", ["path": "/a"], ["op": "delete", "path": "/a"], ["op": 1, "path": "/a"], ["op": "remove"],
            ["op": "remove", "path": 1], ["op": "add", "path": "/b"], ["op": "move", "path": "/b"],
            ["op": "copy", "path": "/b", "from": nil],
        ]
        for operation in malformed {
            #expect(applyError([operation], to: document)?.code == .malformedOperation, "\(operation.jsonText)")
        }
        for pointer in ["a", "/a~", "/a~2", "/~a"] {
            #expect(applyError([["op": "remove", "path": .string(pointer)]], to: document)?.code == .invalidPointer, "\(pointer)")
        }
        let error = applyError([["op": "move", "from": "/a", "path": "/a/b"]], to: ["a": ["c": 1]])
        #expect(error?.code == .moveIntoDescendant)
        #expect(error?.pointer == "/a")
        #expect(applyError([["op": "move", "from": "", "path": "/x"]], to: document)?.code == .moveIntoDescendant)
    }

    // MARK: - RFC 6902 Appendix A

    @Test func testRFCAppendixAExamples() throws {
        let examples: [(document: String, patch: String, result: String)] = [
            // A.1, A.2: adding an object member and an array element.
            (#"{"foo": "bar"}"#, #"[{"op": "add", "path": "/baz", "value": "qux"}]"#, #"{"baz": "qux", "foo": "bar"}"#),
            (#"{"foo": ["bar", "baz"]}"#, #"[{"op": "add", "path": "/foo/1", "value": "qux"}]"#, #"{"foo": ["bar", "qux", "baz"]}"#),
            // A.3, A.4: removing an object member and an array element.
            (#"{"baz": "qux", "foo": "bar"}"#, #"[{"op": "remove", "path": "/baz"}]"#, #"{"foo": "bar"}"#),
            (#"{"foo": ["bar", "qux", "baz"]}"#, #"[{"op": "remove", "path": "/foo/1"}]"#, #"{"foo": ["bar", "baz"]}"#),
            // A.5: replacing a value.
            (#"{"baz": "qux", "foo": "bar"}"#, #"[{"op": "replace", "path": "/baz", "value": "boo"}]"#, #"{"baz": "boo", "foo": "bar"}"#),
            // A.6, A.7: moving a value and an array element.
            (
                #"{"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}}"#,
                #"[{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}]"#,
                #"{"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}"#
            ),
            (
                #"{"foo": ["all", "grass", "cows", "eat"]}"#, #"[{"op": "move", "from": "/foo/1", "path": "/foo/3"}]"#,
                #"{"foo": ["all", "cows", "eat", "grass"]}"#
            ),
            // A.8: testing a value, success.
            (
                #"{"baz": "qux", "foo": ["a", 2, "c"]}"#,
                #"[{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}]"#,
                #"{"baz": "qux", "foo": ["a", 2, "c"]}"#
            ),
            // A.10: adding a nested member object.
            (#"{"foo": "bar"}"#, #"[{"op": "add", "path": "/child", "value": {"grandchild": {}}}]"#, #"{"foo": "bar", "child": {"grandchild": {}}}"#),
            // A.11: ignoring unrecognized elements.
            (#"{"foo": "bar"}"#, #"[{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}]"#, #"{"foo": "bar", "baz": "qux"}"#),
            // A.14: ~ escape ordering.
            (
                #"{"/": 9, "~1": 10}"#, #"[{"op": "test", "path": "/~01", "value": 10}]"#, #"{"/": 9, "~1": 10}"#
            ),
            // A.16: adding an array value.
            (#"{"foo": ["bar"]}"#, #"[{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}]"#, #"{"foo": ["bar", ["abc", "def"]]}"#),
        ]
        for example in examples {
            let patch = try #require(JSONValue(parsing: example.patch).arrayValue)
            let result = try JSONPatch.apply(patch, to: JSONValue(parsing: example.document))
            #expect(result == (try JSONValue(parsing: example.result)), "\(example.patch)")
        }

        let failures: [(document: String, patch: String, code: JSONPatchError.Code)] = [
            // A.9: testing a value, error.
            (#"{"baz": "qux"}"#, #"[{"op": "test", "path": "/baz", "value": "bar"}]"#, .testFailed),
            // A.12: adding to a nonexistent target.
            (#"{"foo": "bar"}"#, #"[{"op": "add", "path": "/baz/bat", "value": "qux"}]"#, .pathNotFound),
            // A.15: comparing strings and numbers.
            (#"{"/": 9, "~1": 10}"#, #"[{"op": "test", "path": "/~01", "value": "10"}]"#, .testFailed),
        ]
        for failure in failures {
            let patch = try #require(JSONValue(parsing: failure.patch).arrayValue)
            let error = applyError(patch, to: try JSONValue(parsing: failure.document))
            #expect(error?.code == failure.code, "\(failure.patch)")
            #expect(error?.operationIndex == 0, "\(failure.patch)")
        }
    }

    // MARK: - Helpers

    /// The error `apply` throws, failing the test if it succeeds instead.
    private func applyError(_ patch: [JSONValue], to document: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> JSONPatchError? {
        do {
            let result = try JSONPatch.apply(patch, to: document)
            Issue.record("the patch applied, giving \(result.jsonText)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// Member names that overlap between random objects and need escaping in pointers.
    private static let keys = ["a", "b", "c", "a/b", "m~n", "~1", ""]

    /// A random value nested at most `depth` levels: objects, arrays, numbers (whole and not),
    /// strings, Booleans and null.
    private static func randomValue(depth: Int, using random: inout SplitMix64) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .number(Double(Int.random(in: -3...3, using: &random)))
        case 3: return .number(Double(Int.random(in: -1000...1000, using: &random)) / 8)
        case 4, 5: return .string(keys.randomElement(using: &random)!)
        case 6:
            let count = Int.random(in: 0...4, using: &random)
            return .array((0..<count).map { _ in randomValue(depth: depth - 1, using: &random) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                members[keys.randomElement(using: &random)!] = randomValue(depth: depth - 1, using: &random)
            }
            return .object(members)
        }
    }

    /// `value` with a few random edits: members and elements changed, added or removed, or the
    /// whole value replaced, keeping the result at most `depth` levels deep.
    private static func mutated(_ value: JSONValue, depth: Int, using random: inout SplitMix64) -> JSONValue {
        if Int.random(in: 0..<6, using: &random) == 0 { return randomValue(depth: depth, using: &random) }
        switch value {
        case .object(var members):
            for key in keys where Int.random(in: 0..<3, using: &random) == 0 {
                switch (members[key], Int.random(in: 0..<3, using: &random)) {
                case (let member?, 0): members[key] = mutated(member, depth: depth - 1, using: &random)
                case (_?, 1): members[key] = nil
                default: members[key] = randomValue(depth: depth - 1, using: &random)
                }
            }
            return .object(members)
        case .array(var elements):
            for index in elements.indices where Int.random(in: 0..<3, using: &random) == 0 {
                elements[index] = mutated(elements[index], depth: depth - 1, using: &random)
            }
            switch Int.random(in: 0..<3, using: &random) {
            case 0: elements.append(randomValue(depth: depth - 1, using: &random))
            case 1 where !elements.isEmpty: elements.removeLast(Int.random(in: 1...elements.count, using: &random))
            default: elements.insert(randomValue(depth: depth - 1, using: &random), at: 0)
            }
            return .array(elements)
        default:
            return value
        }
    }
}
