import ArgumentParser
import EventStore

/// `evtool compact`: a data folder's file without its free pages.
struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Rewrite a data folder's data.mdb without its free pages (no server may hold it).",
        discussion: """
            LMDB reuses freed pages but never gives them back to the file system: after a big \
            deletion or a rebuild the file keeps its size. This copies the environment without \
            its free pages beside it, syncs the copy and renames it over data.mdb, so a crash \
            leaves the old file or the new one, whole. Stop the server first (the folder's lock \
            is held for the run); evtool verify checks the result.

            Examples:
              evtool compact --data ./data
            """)

    @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
    var data = "./data"

    func run() async throws {
        let sizes: (before: UInt64, after: UInt64)
        do { sizes = try EventStore.compact(directory: data) } catch { throw CommandFailure(error.description) }
        print("compacted \(data)/data.mdb: \(sizes.before) bytes before, \(sizes.after) after")
    }
}
