import EventServer
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Projections
import Testing

@Suite("The web console's files and the type description its forms are built from")
struct ConsoleRouteTests {
    /// The console's folder in the repository.
    private static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/EventServer/Resources/console")
    }

    @Test("/console is the page, each file has its media type and the policy that keeps every request on this server; an unknown file is 404")
    func files() async throws {
        try await withServer { client, _, _ in
            let page = try await client.get("/console")
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains(#"src="/console/app.js""#))
            let policy = try #require(page.headers[.contentSecurityPolicy])
            #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'") && policy.contains("script-src 'self'"))
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            let script = try await client.get("/console/app.js")
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(try await client.get("/console/console.css").headers[.contentType] == "text/css; charset=utf-8")
            let missing = try await client.get("/console/nothing.js")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/not-found")
        }
    }

    @Test("every file the page and the scripts load is served, and no script loads anything from another origin")
    func everyReferenceResolves() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        var referenced: Set<String> = []
        for name in names {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
            for pattern in [#"from "\./([A-Za-z0-9_-]+\.js)""#, #"(?:src|href)="/console/([A-Za-z0-9_.-]+)""#] {
                let expression = try NSRegularExpression(pattern: pattern)
                for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    referenced.insert(String(text[Range(match.range(at: 1), in: text)!]))
                }
            }
            // XML namespaces are names, not addresses.
            let origins = try NSRegularExpression(pattern: #"https?://(?!www\.w3\.org/)"#)
            #expect(origins.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil, "\(name) names another origin")
        }
        #expect(referenced.count >= 10, "\(referenced.sorted())")
        let served = referenced.sorted()
        try await withServer { client, _, _ in
            for name in served {
                let status = try await client.get("/console/\(name)").status
                #expect(status == .ok, "\(name) is referenced but not served")
            }
        }
    }

    @Test("GET /v1/types/{type}: views, every command with the schema of its body, events; 404 for an unknown type")
    func typeDescription() async throws {
        let schemas = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
        try await withServer(server: { $0.schemas = schemas }) { client, _, _ in
            for definition in BundledTypes.all.values where schemas.types[definition.name] != nil {
                let answer = try await client.get("/v1/types/\(definition.name)")
                #expect(answer.status == .ok)
                let views = (answer.json["views"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(views == definition.views.map(\.name), "\(definition.name)'s views")
                let commands = answer.json["commands"] as? [[String: Any]] ?? []
                #expect(commands.compactMap { $0["name"] as? String } == definition.commands.keys.sorted(), "\(definition.name)'s commands")
                for command in commands {
                    let schema = command["schema"] as? [String: Any]
                    #expect(schema?["type"] as? String == "object", "\(definition.name).\(command["name"] ?? "") declares the schema of its body")
                }
                #expect(!(answer.json["events"] as? [String: Any] ?? [:]).isEmpty)
            }
            let inventory = try await client.get("/v1/types/inventory")
            let reserve = (inventory.json["commands"] as? [[String: Any]])?.first { $0["name"] as? String == "reserve" }
            let properties = (reserve?["schema"] as? [String: Any])?["properties"] as? [String: Any]
            #expect(Set(properties?.keys.map { $0 } ?? []) == ["orderId", "qty", "ttlSeconds"])
            #expect(reserve?["view"] as? String == "stock")
            let unknown = try await client.get("/v1/types/account")
            #expect(unknown.status == .notFound && unknown.json["type"] as? String == "/problems/unknown-object-type")
        }
    }
}
