import ArgumentParser
import EventModel
import EventStore

/// `evtool branches`: an object's branches, or deleting one.
struct BranchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branches",
        abstract: "List an object's branches (parent, fork seq, head), or delete one.",
        discussion: """
            --delete removes a branch: never main, and not while it has branches of its own. \
            Its events stay in the global log (positions are never reused).

            Examples:
              evtool branches inventory/sku-42
              evtool branches inventory/sku-42 --format table
              evtool branches inventory/sku-42 --delete what-if
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: ArgumentHelp("Delete this branch instead of listing.", valueName: "branch"))
    var delete: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        if let delete { _ = try parseBranch(delete, option: "--delete") }
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let doomed = try delete.map { try parseBranch($0, option: "--delete") }
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            if let doomed {
                _ = try await remote.send(.DELETE, RemoteStore.path(key) + "/branches/\(doomed.name)")
                printer.print(document: Array(JSONValue.object(["object": .string(key.description), "deleted": .string(doomed.name)]).jsonText.utf8))
            } else {
                let body = try await remote.send(.GET, RemoteStore.path(key) + "/branches").body
                printList(body, &printer)
            }
        } else {
            if let doomed {
                try await store.withStore(holder: "evtool branches") { try await $0.deleteBranch(doomed, of: key) }
                printer.print(document: Array(JSONValue.object(["object": .string(key.description), "deleted": .string(doomed.name)]).jsonText.utf8))
            } else {
                let branches = try await store.withStore(holder: "evtool branches") { engine in
                    let branches = try engine.branches(of: key)
                    guard !branches.isEmpty else { throw EventStoreError.branchNotFound(StreamName(object: key)) }
                    return branches
                }
                var writer = JSONWriter()
                BranchJSON.write(branches, of: key, into: &writer)
                printList(writer.bytes, &printer)
            }
        }
        printer.flush()
    }

    /// One line per branch, so `--format table` lines them up.
    private func printList(_ body: [UInt8], _ printer: inout EventPrinter) {
        guard let list = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }), case .array(let branches)? = list["branches"] else {
            printer.print(document: body)
            return
        }
        for branch in branches { printer.print(document: Array(branch.jsonText.utf8)) }
    }
}
