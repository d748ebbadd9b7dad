import ArgumentParser
import EventModel
import EventStore

/// `evtool fork`: a new branch of an object at a point of its past.
struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork",
        abstract: "Fork an object into a new branch at a seq of one of its branches.",
        discussion: """
            The branch shares the parent's events up to --at (default: the parent's head) and \
            copies none of them, so a fork costs the same for 10 events or 10 million. Timers \
            pending at that point belong to the branch too. Use the branch with --branch on \
            read, view and replay, or ?branch= over HTTP; compare it with `evtool diff` and \
            bring it back with `evtool merge`.

            Examples:
              evtool fork inventory/sku-42 what-if --at 120
              evtool fork inventory/sku-42 deeper --from what-if
              evtool fork inventory/sku-42 what-if --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Argument(help: ArgumentHelp("The new branch's name: 1-64 of a-z, A-Z, 0-9, '.', '_' and '-'.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("The branch to fork from.", valueName: "branch"))
    var from = "main"

    @Option(help: ArgumentHelp("The seq of the parent to fork at (default: its head).", valueName: "seq"))
    var at: UInt64?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        _ = try parseBranch(name, option: "name")
        _ = try parseBranch(from, option: "--from")
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let branch = try parseBranch(name, option: "name")
        let parent = try parseBranch(from, option: "--from")
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            var body: JSONValue = ["name": .string(branch.name), "from": .string(parent.name)]
            if let at, case .object(var members) = body {
                members["at"] = .number(Double(at))
                body = .object(members)
            }
            printer.print(document: try await remote.send(.POST, RemoteStore.path(key) + "/branches", body: Array(body.jsonText.utf8)).body)
        } else {
            let info = try await store.withStore(holder: "evtool fork") { try await $0.createBranch(branch, of: key, from: parent, at: at) }
            var writer = JSONWriter()
            BranchJSON.write(info, of: key, into: &writer)
            printer.print(document: writer.bytes)
        }
        printer.flush()
    }
}
