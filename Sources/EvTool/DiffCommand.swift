import ArgumentParser
import EventModel
import EventStore

/// `evtool diff`: what two branches of an object have that the other does not.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare a branch with another: each side's events since they parted, and the view's JSON Patch.",
        discussion: """
            Prints {"ancestorSeq", "branchSide": {"head", "count", "events"}, "againstSide": {...}, \
            "view", "patch"}: the events each side has after the last seq they share (at most \
            --limit per side), and the RFC 6902 JSON Patch that turns the --against branch's view \
            state into the branch's.

            Examples:
              evtool diff inventory/sku-42 what-if
              evtool diff inventory/sku-42 what-if --against main --view stock
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Argument(help: ArgumentHelp("The branch to compare.", valueName: "branch"))
    var branch: String

    @Option(help: ArgumentHelp("The branch to compare it with.", valueName: "branch"))
    var against = "main"

    @Option(help: "The view to compare (default: the object type's first view).")
    var view: String?

    @Option(help: "The most events listed per side.")
    var limit = 1_000

    @OptionGroup var store: StoreOptions

    func validate() throws {
        _ = try parseObject(object)
        _ = try parseBranch(branch, option: "branch")
        _ = try parseBranch(against, option: "--against")
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1 to 100000") }
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let name = try parseBranch(branch, option: "branch")
        let other = try parseBranch(against, option: "--against")
        var printer = EventPrinter(format: .json)
        if let remote = try store.remote {
            let viewQuery = view.map { "&view=\($0)" } ?? ""
            let path = RemoteStore.path(key) + "/branches/\(name.name)/diff?against=\(other.name)&limit=\(limit)\(viewQuery)"
            printer.print(document: try await remote.send(.GET, path).body)
        } else {
            let diff = try await store.withStore(holder: "evtool diff") { engine in
                let views = engine.objectTypes[key.type.name]?.views ?? []
                let projection = view.map { name in views.first { $0.name == name } } ?? views.first
                if let view, projection == nil {
                    throw CommandFailure("\(key.type) has no view \(view); views: \(views.map(\.name).joined(separator: ", "))")
                }
                return try BranchDiff(
                    store: engine, branch: StreamName(object: key, branch: name), against: StreamName(object: key, branch: other),
                    view: projection ?? nil, limit: limit)
            }
            printer.print(document: diff.json())
        }
        printer.flush()
    }
}
