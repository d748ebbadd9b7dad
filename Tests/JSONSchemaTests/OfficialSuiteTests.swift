import EventModel
import Foundation
import JSONSchema
import Testing

/// Runs the official JSON Schema Test Suite (draft 2020-12), a copy of which (MIT licence, see
/// `Suite/LICENSE`) lives beside this file in `Suite/draft2020-12/`, so a fresh clone runs it:
/// every case of every file, one test per file, one issue per failing case.
@Suite("JSON Schema Test Suite, draft 2020-12")
struct OfficialSuiteTests {
    /// The suite's folder, found from this file's path.
    static let suiteFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/JSONSchemaTests
        .appendingPathComponent("Suite/draft2020-12")

    /// Files not run, and why.
    static let excludedFiles: [String: String] = [
        "refRemote.json": "needs schemas served from http://localhost:1234; remote schemas are never fetched",
        "dynamicRef.json": "13 of its 44 cases need remote schemas; $dynamicRef itself is supported and tested in ViolationTests",
        "vocabulary.json": "needs custom metaschemas with $vocabulary, which are remote schemas",
    ]

    /// Cases known to fail, as "file: group description: test description", each with the
    /// reason. A listed case that starts to pass is reported too, so the list stays true.
    static let knownFailures: [String: String] = [:]

    /// The files run: every `.json` file of the suite folder but the excluded ones.
    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suiteFolder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && excludedFiles[$0] == nil }.sorted()
    }()

    @Test("the suite is present in the repository")
    func suiteIsPresent() {
        #expect(Self.files.count >= 40, "expected the draft 2020-12 suite in \(Self.suiteFolder.path)")
    }

    @Test("suite file", arguments: files)
    func suiteFile(_ file: String) throws {
        let text = try String(contentsOf: Self.suiteFolder.appendingPathComponent(file), encoding: .utf8)
        let groups = try #require(try JSONValue(parsing: text).arrayValue)
        var passed = 0
        var failed = 0
        for group in groups {
            let groupDescription = group["description"]?.stringValue ?? "?"
            let schemaJSON = group["schema"] ?? .bool(true)
            let schemaResult = Result { () throws(SchemaError) in try JSONSchema(schemaJSON) }
            for test in group["tests"]?.arrayValue ?? [] {
                let name = "\(file): \(groupDescription): \(test["description"]?.stringValue ?? "?")"
                let expected = test["valid"]?.boolValue ?? true
                let outcome: String?
                switch schemaResult {
                case .success(let schema):
                    let violations = schema.validate(test["data"] ?? .null)
                    outcome =
                        violations.isEmpty == expected
                        ? nil
                        : expected
                            ? "rejected a valid instance: \(violations.map(\.description))" : "accepted an invalid instance"
                case .failure(let error):
                    outcome = "the schema did not compile: \(error)"
                }
                switch (outcome, Self.knownFailures[name]) {
                case (nil, nil):
                    passed += 1
                case (nil, .some):
                    passed += 1
                    Issue.record("\(name) passes now; remove it from knownFailures")
                case (.some, .some):
                    failed += 1
                case (.some(let problem), nil):
                    failed += 1
                    Issue.record("\(name): \(problem)")
                }
            }
        }
        print("JSON Schema suite: \(file): \(passed) passed, \(failed) failed")
    }
}
