import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HummingbirdTesting
import Testing

@Suite("POST /v1/admin/backup: a backup while serving, into the server's backup folder")
struct BackupRouteTests {
    @Test("without --backup-dir: 409 saying how to set it; with one: 201 with the manifest, the copy and manifest in NAME; after a backup, an incremental one; a bad name is 400, an unknown base 422")
    func backup() async throws {
        try await withServer { client, _, _ in
            let refused = try await client.post("/v1/admin/backup", "{}")
            #expect(refused.status == .conflict && refused.json["type"] as? String == "/problems/no-backup-directory")
        }
        let folder = TemporaryDirectory(prefix: "evlog-backups")
        defer { folder.remove() }
        try await withServer(server: { $0.backupDirectory = folder.path }) { client, test, _ in
            _ = try await test.store.append(TestEvents.deposits("account/a", count: 7))
            let answer = try await client.post("/v1/admin/backup", #"{"name": "nightly-1"}"#)
            #expect(answer.status == .created, "\(answer.text)")
            #expect(answer.json["position"] as? Int == 7 && answer.json["format"] as? String == "evlog-backup/1")
            #expect(answer.json["path"] as? String == folder.path + "/nightly-1")
            for file in ["data.mdb.zst", "manifest.json"] { #expect(FileManager.default.fileExists(atPath: folder.path + "/nightly-1/" + file), "\(file)") }
            let again = try await client.post("/v1/admin/backup", #"{"name": "nightly-1"}"#)
            #expect(again.status == .badRequest && again.json["field"] as? String == "to", "a name taken: \(again.text)")
            let bad = try await client.post("/v1/admin/backup", #"{"name": "../up"}"#)
            #expect(bad.status == .badRequest && bad.json["field"] as? String == "/name")
            _ = try await test.store.append(TestEvents.deposits("account/a", count: 3, from: 7))
            let tail = try await client.post("/v1/admin/backup", #"{"name": "hourly-1", "after": "nightly-1"}"#)
            #expect(tail.status == .created && tail.json["format"] as? String == "evlog-backup-tail/1" && tail.json["events"] as? Int == 3, "\(tail.text)")
            #expect((tail.json["base"] as? [String: Any])?["position"] as? Int == 7 && tail.json["position"] as? Int == 10)
            let noBase = try await client.post("/v1/admin/backup", #"{"name": "hourly-2", "after": "nothing"}"#)
            #expect(noBase.status == .unprocessableContent && noBase.json["field"] as? String == "/after", "\(noBase.text)")
            let unnamed = try await client.post("/v1/admin/backup", "")
            #expect(unnamed.status == .created && (unnamed.json["name"] as? String)?.hasPrefix("backup-10-") == true, "\(unnamed.text)")
        }
    }
}
