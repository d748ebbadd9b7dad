import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@Suite("GET and PUT /v1/objects/{type}/{id}/archive: an object's archive while serving")
struct ArchiveRouteTests {
    @Test("the archive GET answers is the engine's export; PUT brings it back (409 object-exists without replace, 422 invalid-archive naming the line)")
    func roundTrip() async throws {
        try await withServer { client, test, _ in
            _ = try await test.store.append(TestEvents.deposits("account/a", count: 5_000))
            var expected: [UInt8] = []
            _ = try await test.store.export(try ObjectKey(parsing: "account/a")) { line in expected += line + [UInt8(ascii: "\n")] }
            let archive = try await client.get("/v1/objects/account/a/archive")
            #expect(archive.status == .ok && archive.headers[.contentType] == "application/x-ndjson")
            #expect(Array(buffer: archive.body) == expected, "\(archive.body.readableBytes) bytes, \(expected.count) exported")

            let missing = try await client.get("/v1/objects/account/nobody/archive")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/object-not-found")

            let exists = try await client.execute(uri: "/v1/objects/account/a/archive", method: .put, body: archive.body)
            #expect(exists.status == .conflict && exists.json["type"] as? String == "/problems/object-exists" && exists.json["field"] as? String == "replace")
            let replaced = try await client.execute(uri: "/v1/objects/account/a/archive?replace=true", method: .put, body: archive.body)
            #expect(replaced.status == .created && replaced.json["events"] as? Int == 5_000 && replaced.json["object"] as? String == "account/a", "\(replaced.text)")
            let again = try await client.get("/v1/objects/account/a/archive")
            // The same archive but for the positions, which the import gave anew.
            let stripped = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self).replacing(/"position":\d+,/, with: "") }
            #expect(stripped(Array(buffer: again.body)) == stripped(expected))

            let elsewhere = try await client.execute(uri: "/v1/objects/account/b/archive", method: .put, body: archive.body)
            #expect(elsewhere.status == .unprocessableContent && elsewhere.json["type"] as? String == "/problems/invalid-archive" && elsewhere.json["line"] as? Int == 1)
            #expect(try test.store.branches(of: try ObjectKey(parsing: "account/b")).isEmpty)
            let cut = try await client.execute(uri: "/v1/objects/account/a/archive?replace=true", method: .put, body: ByteBuffer(string: "{\"format\":\"other\"}\n"))
            #expect(cut.status == .unprocessableContent && cut.json["line"] as? Int == 1, "\(cut.text)")
            let badFlag = try await client.execute(uri: "/v1/objects/account/a/archive?replace=yes", method: .put, body: archive.body)
            #expect(badFlag.status == .badRequest && badFlag.json["field"] as? String == "replace")
        }
    }
}

@Suite("POST /v1/admin/verify: verification while serving")
struct VerifyRouteTests {
    @Test("a run starts (202 with its Location), goes to done with the counts and no findings; a bad type is 422, an unknown run 404")
    func verifyRun() async throws {
        try await withServer { client, test, _ in
            for sku in 0..<5 {
                _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(sku)")), command: "restock", body: ["qty": 3]))
            }
            let started = try await client.post("/v1/admin/verify", "{}")
            #expect(started.status == .accepted && started.headers[.location] == "/v1/admin/verify/\(started.json["id"] as? Int ?? -1)", "\(started.text)")
            var run: [String: Any] = [:]
            for _ in 0..<200 {
                run = try await client.get(started.headers[.location] ?? "").json
                if run["state"] as? String != "running" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(run["state"] as? String == "done", "\(run)")
            let result = run["result"] as? [String: Any]
            #expect((result?["objects"] as? [String: Any])?["checked"] as? Int == 5 && (result?["findings"] as? [Any])?.isEmpty == true, "\(run)")
            #expect(result?["logViews"] is [String: Any], "a whole check covers the cross-object views")
            #expect(run["checked"] as? Int == 5 && run["total"] as? Int == 5)

            let sampled = try await client.post("/v1/admin/verify", #"{"type": "inventory", "sample": 2}"#)
            #expect(sampled.status == .accepted && sampled.json["sample"] as? Int == 2)
            let listed = try await client.get("/v1/admin/verify")
            #expect((listed.json["runs"] as? [Any])?.count == 2)

            let badType = try await client.post("/v1/admin/verify", #"{"type": "nothing"}"#)
            #expect(badType.status == .unprocessableContent && badType.json["field"] as? String == "/type")
            let badSample = try await client.post("/v1/admin/verify", #"{"sample": 0}"#)
            #expect(badSample.status == .badRequest && badSample.json["field"] as? String == "/sample")
            let unknown = try await client.get("/v1/admin/verify/999")
            #expect(unknown.status == .notFound)
        }
    }
}
