import ArgumentParser
import EventModel
import EventStore

/// `evtool merge`: bring a branch's events into another branch.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a branch into another (main by default), checking the object type's invariants.",
        discussion: """
            If the target has not moved since the branch left it, the branch's events are \
            appended as they are (fast-forward). Otherwise they are replayed on the target's \
            state with every invariant of the object type checked after each event; if one \
            breaks, nothing is written and the command names the event and the invariant. A \
            second merge brings only what the branch gained since the first.

            Examples:
              evtool merge inventory/sku-42 what-if
              evtool merge inventory/sku-42 what-if --into staging --expected-version 130
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Argument(help: ArgumentHelp("The branch to merge.", valueName: "branch"))
    var branch: String

    @Option(help: ArgumentHelp("The branch to merge into.", valueName: "branch"))
    var into = "main"

    @Option(help: ArgumentHelp("Refuse unless the target is at this version.", valueName: "seq"))
    var expectedVersion: UInt64?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        _ = try parseBranch(branch, option: "branch")
        _ = try parseBranch(into, option: "--into")
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let source = try parseBranch(branch, option: "branch")
        let target = try parseBranch(into, option: "--into")
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            var members: [String: JSONValue] = ["into": .string(target.name)]
            if let expectedVersion { members["expectedVersion"] = .number(Double(expectedVersion)) }
            let path = RemoteStore.path(key) + "/branches/\(source.name)/merge"
            printer.print(document: try await remote.send(.POST, path, body: Array(JSONValue.object(members).jsonText.utf8)).body)
        } else {
            let expected: ExpectedVersion = expectedVersion.map { .exactly($0) } ?? .any
            let outcome = try await store.withStore(holder: "evtool merge") { engine in
                try await engine.merge(source, into: StreamName(object: key, branch: target), expectedVersion: expected)
            }
            var writer = JSONWriter()
            BranchJSON.write(merge: outcome, from: source, into: &writer)
            printer.print(document: writer.bytes)
        }
        printer.flush()
    }
}
