import ArgumentParser
import EventModel
import EventStore

/// `evtool backup`: a consistent copy of the whole store, from a running server or a data folder.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the whole store: a compacted, consistent copy and its manifest.",
        discussion: """
            With --url the server writes the backup while it keeps serving, into NAME under its \
            --backup-dir (the operator's: admin of the tenant default). With --data (no server \
            holding the folder) it is written to --to. Either way the folder holds data.mdb.zst (an \
            LMDB copy taken from one read transaction, free pages left out, zstd-compressed) and \
            manifest.json: the log position the copy ends at, when it was taken, its size and \
            CRC-32C. `evtool restore` checks the copy against the manifest before it becomes a store.

            Examples:
              evtool backup --url http://127.0.0.1:8080 --name nightly-1
              evtool backup --data ./data --to /backups/2026-12-05
              evtool restore --from /backups/2026-12-05 --data ./restored && evtool verify --data ./restored
            """)

    @Option(help: ArgumentHelp("With --url: the backup's folder under the server's --backup-dir (1-64 of a-z, 0-9, - and _).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("With --data: the folder to write the backup into (new or empty).", valueName: "dir"))
    var to: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if store.url != nil, to != nil { throw ValidationError("--to is for --data: a server writes under its own --backup-dir (name it with --name)") }
        if store.url == nil, to == nil { throw ValidationError("give --to DIR (with --data), or --url for a running server") }
        if store.url == nil, name != nil { throw ValidationError("--name is for --url; with --data the backup goes to --to") }
    }

    func run() async throws {
        if let remote = try store.remote {
            let body = name.map { Array(JSONValue.object(["name": .string($0)]).jsonText.utf8) } ?? Array("{}".utf8)
            print(String(decoding: try await remote.send(.POST, "/v1/admin/backup", body: body).body, as: UTF8.self))
            return
        }
        guard let to else { return }
        let manifest = try await store.withStore(holder: "evtool backup") { engine in try await engine.backup(to: to) }
        print(String(decoding: manifest.json, as: UTF8.self))
    }
}

/// `evtool restore`: a backup into a new data folder.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup (evtool backup) into a new data folder.",
        discussion: """
            Decompresses the backup's copy beside the folder's data.mdb, checks it against its \
            manifest (size and CRC-32C), syncs it, and only then names it data.mdb: a damaged \
            backup leaves nothing. The folder must not hold a store. Start a server on it, or \
            check it first with evtool verify.

            Examples:
              evtool restore --from /backups/2026-12-05 --data ./restored
              evtool verify --data ./restored
            """)

    @Option(help: ArgumentHelp("The backup's folder (data.mdb and manifest.json).", valueName: "dir"))
    var from: String

    @Option(help: ArgumentHelp("The data folder to restore into (new, or without a store).", valueName: "dir"))
    var data: String

    func run() async throws {
        let manifest: BackupManifest
        do { manifest = try EventStore.restore(from: from, into: data) } catch { throw CommandFailure(error.description) }
        print(String(decoding: manifest.json, as: UTF8.self))
    }
}
