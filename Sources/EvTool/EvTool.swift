import ArgumentParser

/// The `evtool` command tree.
public struct EvTool: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evtool",
        abstract: "Serve, append to, read and follow an evlog event store.",
        discussion: """
            evlog keeps every object (inventory/sku-42, document/doc-7, ...) as an append-only \
            stream of events in LMDB, and every event in one global log in commit order. Objects \
            can be read as of any point of their past and forked into branches there; the log \
            feeds named consumers and sinks as CloudEvents.

            Commands that touch data work on a data folder directly (--data, default ./data) \
            or on a running server (--url). A data folder held by a running server is refused: \
            use --url to talk to that server instead.

            Examples:
              evtool serve                                  # serve ./data on 127.0.0.1:8080
              evtool append inventory/sku-42 --type Restocked --payload '{"qty":10}'
              evtool read inventory/sku-42 --format table
              evtool ls inventory --prefix sku- --format table  # the objects of a type
              evtool log --url http://127.0.0.1:8080 --follow
              evtool replay inventory/sku-42 --to 10 --step  # the state after every event
              evtool fork inventory/sku-42 what-if --at 10   # a branch of its past
              evtool tail --url http://127.0.0.1:8080 --consumer audit --format table
            """,
        subcommands: [ServeCommand.self, AppendCommand.self, ReadCommand.self, LogCommand.self, StatsCommand.self, ListCommand.self, ViewCommand.self, ViewsCommand.self, ReplayCommand.self, ForkCommand.self, BranchesCommand.self, DiffCommand.self, MergeCommand.self, ExportCommand.self, ImportCommand.self, RebuildCommand.self, VerifyCommand.self, TailCommand.self, SinkCommand.self, SnapshotCommand.self, SchemaCommand.self, TokenCommand.self, ReactionsCommand.self, BackupCommand.self, RestoreCommand.self, CompactCommand.self, EraseCommand.self]
    )

    public init() {}

    /// Parses the process's arguments and runs the chosen command, then exits: 0 on success,
    /// 1 with `Error: <message>` on standard error for a failure, 64 for a usage error.
    ///
    /// (`AsyncParsableCommand.main()` called from another module picks the synchronous overload
    /// on Linux, so the entry point runs the command here.)
    public static func runAndExit() async -> Never {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit()
        } catch {
            exit(withError: error)
        }
    }
}
