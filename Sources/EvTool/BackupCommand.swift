import ArgumentParser
import EventModel
import EventStore
import Foundation

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

            With --after, the backup is incremental: the events committed since the backup named \
            (a full one or another incremental one: with --url a name under the server's \
            --backup-dir, with --data a folder), as JSON Lines in tail.jsonl.zst, and a manifest \
            naming the backup it continues. `evtool restore --from FULL --tail T1 --tail T2` \
            puts the chain back, up to any commit with --to-position or --to-time.

            Examples:
              evtool backup --url http://127.0.0.1:8080 --name nightly-1
              evtool backup --url http://127.0.0.1:8080 --name hourly-1 --after nightly-1
              evtool backup --data ./data --to /backups/2026-12-05
              evtool restore --from /backups/2026-12-05 --data ./restored && evtool verify --data ./restored
            """)

    @Option(help: ArgumentHelp("With --url: the backup's folder under the server's --backup-dir (1-64 of a-z, 0-9, - and _).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("With --data: the folder to write the backup into (new or empty).", valueName: "dir"))
    var to: String?

    @Option(help: ArgumentHelp("Back up incrementally: only what was committed after this backup (with --url its name, with --data its folder).", valueName: "backup"))
    var after: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if store.url != nil, to != nil { throw ValidationError("--to is for --data: a server writes under its own --backup-dir (name it with --name)") }
        if store.url == nil, to == nil { throw ValidationError("give --to DIR (with --data), or --url for a running server") }
        if store.url == nil, name != nil { throw ValidationError("--name is for --url; with --data the backup goes to --to") }
    }

    func run() async throws {
        if let remote = try store.remote {
            var members: [String: JSONValue] = [:]
            if let name { members["name"] = .string(name) }
            if let after { members["after"] = .string(after) }
            let body = Array(JSONValue.object(members).jsonText.utf8)
            print(String(decoding: try await remote.send(.POST, "/v1/admin/backup", body: body).body, as: UTF8.self))
            return
        }
        guard let to else { return }
        let manifest = try await store.withStore(holder: "evtool backup") { engine in
            if let after { return try await engine.backupTail(after: after, to: to).json }
            return try await engine.backup(to: to).json
        }
        print(String(decoding: manifest, as: UTF8.self))
    }
}

/// `evtool restore`: a backup (and the incremental ones after it) into a new data folder.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup (evtool backup), and the incremental ones after it, into a new data folder.",
        discussion: """
            Decompresses the backup's copy beside the folder's data.mdb, checks it against its \
            manifest (size and CRC-32C), syncs it, and only then names it data.mdb: a damaged \
            backup leaves nothing. The folder must not hold a store.

            Each --tail (an incremental backup, `evtool backup --after`) is then applied in \
            order; each must continue the one before it (its manifest names the position and \
            CRC-32C of its base). Every event comes back at its position with its id, data, \
            metadata and time; views, snapshots and timers follow. --to-position P stops after \
            position P (which must end a commit: the error names the boundaries around it), \
            --to-time T after the last commit at or before T: a point-in-time restore. Each \
            reaction is moved past the triggers whose commands the tails hold, so it sends only \
            what had not been sent by then. A restore that fails removes what it wrote. Prints \
            {"position", "events", "tails", "deletedKeptLive", "reactions"} (with tails), or the \
            manifest.

            A backup holds no master key: a sealed store's restore needs the one it was made \
            with, as --master-key-file (copied into the folder) or $EVLOG_MASTER_KEY.

            Examples:
              evtool restore --from /backups/2026-12-05 --master-key-file /secrets/evlog.key --data ./restored
              evtool restore --from /backups/nightly-1 --tail /backups/hourly-1 --tail /backups/hourly-2 --data ./restored
              evtool restore --from /backups/nightly-1 --tail /backups/hourly-1 --to-time 2026-12-05T10:42:00Z --data ./restored
              evtool verify --data ./restored
            """)

    @Option(help: ArgumentHelp("The backup's folder (data.mdb.zst and manifest.json).", valueName: "dir"))
    var from: String

    @Option(help: ArgumentHelp("An incremental backup to apply after it (repeat, in the order they were taken).", valueName: "dir"))
    var tail: [String] = []

    @Option(help: ArgumentHelp("Stop after this log position (the end of a commit).", valueName: "position"))
    var toPosition: UInt64?

    @Option(help: ArgumentHelp("Stop after the last commit at or before this time (RFC 3339 or epoch ms).", valueName: "time"))
    var toTime: String?

    @Option(help: ArgumentHelp("The data folder to restore into (new, or without a store).", valueName: "dir"))
    var data: String

    @Option(
        help: ArgumentHelp(
            "The master key of the store the backup is of (a backup holds none): copied into DATA/master.key. Default: $EVLOG_MASTER_KEY (then not copied).",
            valueName: "file"))
    var masterKeyFile: String?

    func validate() throws {
        if toPosition != nil, toTime != nil { throw ValidationError("give --to-position or --to-time, not both") }
        if (toPosition != nil || toTime != nil), tail.isEmpty { throw ValidationError("--to-position and --to-time choose a point in the --tail backups: give at least one") }
        if let toTime, ReplayCommand.milliseconds(toTime) == nil {
            throw ValidationError("--to-time must be an RFC 3339 time (2026-12-05T10:42:00Z) or milliseconds since the epoch")
        }
    }

    func run() async throws {
        let manifest: BackupManifest
        do { manifest = try EventStore.restore(from: from, into: data) } catch { throw CommandFailure(error.description) }
        if let masterKeyFile { try MasterKeySource.install(try MasterKeySource.read(masterKeyFile), in: data) }
        guard !tail.isEmpty else {
            print(String(decoding: manifest.json, as: UTF8.self))
            return
        }
        let point: RestorePoint? = toPosition.map { .position($0) } ?? toTime.flatMap(ReplayCommand.milliseconds).map { .time($0) }
        do {
            let restored = try await StoreOptions.withStore(data: data, holder: "evtool restore") { engine in
                var restorer = try BackupTailRestorer(store: engine, restoredFrom: .full(manifest), through: point)
                for folder in tail { try await restorer.apply(folder) }
                return try await restorer.finish()
            }
            print(
                JSONValue.object([
                    "position": .number(Double(restored.position)), "events": .number(Double(restored.events)), "tails": .number(Double(restored.tails)),
                    "deletedKeptLive": .array(restored.deletedKeptLive.map { .string("\($0.object)@\($0.branch)") }),
                    "reactions": .object(restored.reactions.mapValues { .number(Double($0)) }),
                ]).jsonText)
        } catch {
            // The folder held no store before: nothing of it is left half restored.
            for file in ["data.mdb", "lock.mdb", "LOCK", "restore-tail.jsonl", MasterKeySource.fileName] { unlink(data + "/" + file) }
            throw error as? CommandFailure ?? CommandFailure("\(error)")
        }
    }
}
