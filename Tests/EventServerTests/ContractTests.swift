import EventServer
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Projections
import Testing

@Suite("The OpenAPI document: every route of the router, no other, served as kept in the repository")
struct ContractTests {
    private static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/EventServer/Resources/openapi.json").path

    private func document() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.documentPath))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the router's routes and the document's operations are the same set")
    func routes() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let routes = EventServer.routes(store: test.store)
        await test.destroy()
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var documented: [String] = []
        for (path, operations) in paths {
            // A WebSocket's path is an HTTP route too: it says why a request was not upgraded.
            for (method, _) in operations {
                documented.append("\(method.uppercased()) \(path)")
            }
        }
        #expect(Set(routes).count == routes.count, "no route added twice")
        #expect(Set(routes).subtracting(documented).sorted() == [], "routes the document leaves out")
        #expect(Set(documented).subtracting(routes).sorted() == [], "operations no route serves")
        #expect(routes.count > 30)
    }

    @Test("the problem types the document names are the catalog's")
    func problems() throws {
        let schemas = try #require((try document()["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let type = try #require(((schemas["Problem"] as? [String: Any])?["properties"] as? [String: Any])?["type"] as? [String: Any])
        #expect(Set(type["enum"] as? [String] ?? []) == Set(ProblemType.allCases.map(\.uri)))
    }

    @Test("GET /openapi.json serves the document as kept in the repository")
    func served() async throws {
        let kept = try Data(contentsOf: URL(fileURLWithPath: Self.documentPath))
        try await withServer { client, _, _ in
            let response = try await client.get("/openapi.json")
            #expect(response.status == .ok && response.headers[.contentType] == "application/json")
            #expect(Data(response.text.utf8) == kept)
        }
    }
}
