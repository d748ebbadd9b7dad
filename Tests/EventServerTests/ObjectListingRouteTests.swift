import EventServer
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Testing

@Suite("Object listings over HTTP: the types with their counts, and a type's objects in pages")
struct ObjectListingRouteTests {
    private func ids(_ response: TestResponse) -> [String] {
        (response.json["objects"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test("types with counts (declared ones with none too); objects in id order, paged with limit and after, by prefix")
    func listings() async throws {
        let schemas = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
        try await withServer(server: { $0.schemas = schemas }) { client, _, _ in
            for sku in ["sku-3", "sku-1", "sku-10", "sku-2", "hat"] {
                #expect(try await client.post("/v1/objects/inventory/\(sku)/commands/restock", #"{"qty": 5}"#).status == .ok)
            }
            #expect(try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 1}"#).status == .ok)
            #expect(try await client.post("/v1/objects/inventory/sku-1/branches", #"{"name": "what-if", "at": 1}"#).status == .created)

            let types = try await client.get("/v1/objects")
            #expect(types.status == .ok)
            let counts = (types.json["types"] as? [[String: Any]] ?? []).map { "\($0["type"] ?? "")=\($0["objects"] ?? "")" }
            #expect(counts == ["building=0", "checkout=0", "document=0", "inventory=5", "order=0", "reaction=0"])

            var pages: [[String]] = []
            var after: String?
            repeat {
                let page = try await client.get("/v1/objects/inventory?limit=2" + (after.map { "&after=\($0)" } ?? ""))
                #expect(page.status == .ok && page.json["type"] as? String == "inventory")
                pages.append(ids(page))
                after = page.json["next"] as? String
            } while after != nil && pages.count < 5
            #expect(pages == [["hat", "sku-1"], ["sku-10", "sku-2"], ["sku-3"]])

            let prefixed = try await client.get("/v1/objects/inventory?prefix=sku-1")
            #expect(ids(prefixed) == ["sku-1", "sku-10"] && prefixed.json["next"] is NSNull)
            let first = (prefixed.json["objects"] as? [[String: Any]])?.first
            #expect(first?["version"] as? Int == 2 && first?["branches"] as? Int == 2 && (first?["lastCommitTime"] as? Int ?? 0) > 0)

            let empty = try await client.get("/v1/objects/building")
            #expect(empty.status == .ok && ids(empty).isEmpty, "a declared type without objects lists none")
        }
    }

    @Test("bad limits, prefixes and afters are 400 naming the field; an undeclared type is 404")
    func refusals() async throws {
        let schemas = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
        try await withServer(server: { $0.schemas = schemas }) { client, _, _ in
            for (query, field) in [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"), ("prefix=a%20b", "prefix"), ("after=", "after")] {
                let response = try await client.get("/v1/objects/inventory?\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.json["field"] as? String == field, "\(query) names \(field)")
            }
            let undeclared = try await client.get("/v1/objects/account")
            #expect(undeclared.status == .notFound && undeclared.json["type"] as? String == "/problems/unknown-object-type")
            let invalid = try await client.get("/v1/objects/Bad%20Type")
            #expect(invalid.status == .badRequest && invalid.json["field"] as? String == "type")
        }
    }
}
