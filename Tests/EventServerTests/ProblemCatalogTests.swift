import EventServer
import Foundation
import Testing

@Suite("The problem catalog: one type per refusal, and the README's table lists exactly them")
struct ProblemCatalogTests {
    private static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path

    @Test("every problem type is in the README's table of problems, and the table names no other")
    func readmeTable() throws {
        let text = try String(contentsOfFile: Self.readme, encoding: .utf8)
        // The table follows the paragraph that introduces problem+json and ends at the first
        // line that is not a table row.
        let start = try #require(text.range(of: "| status | `type` | when |"))
        let table = text[start.lowerBound...].split(separator: "\n").prefix { $0.hasPrefix("|") }.joined(separator: "\n")
        let regex = try NSRegularExpression(pattern: "/problems/[a-z-]+")
        let named = Set(regex.matches(in: table, range: NSRange(table.startIndex..., in: table)).map { String(table[Range($0.range, in: table)!]) })
        let catalog = Set(ProblemType.allCases.map(\.uri))
        #expect(catalog.subtracting(named).sorted() == [], "in the catalog, missing from the README")
        #expect(named.subtracting(catalog).sorted() == [], "in the README, not in the catalog")
    }

    @Test("types are distinct, titled, and answered as /problems/NAME")
    func catalog() {
        #expect(Set(ProblemType.allCases.map(\.rawValue)).count == ProblemType.allCases.count)
        #expect(ProblemType.allCases.allSatisfy { !$0.title.isEmpty && $0.uri == "/problems/\($0.rawValue)" })
    }
}
