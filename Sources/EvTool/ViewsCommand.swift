import ArgumentParser
import EventModel
import EventStore

/// `evtool views`: the cross-object views, or one of them.
struct ViewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "views",
        abstract: "List the cross-object views (with how far behind the log each is), or print one.",
        discussion: """
            A cross-object view folds the whole log (fleet: stock totals across every SKU, \
            readings and alerts across every building). A running server keeps it caught up; \
            on a stopped data folder it reads as last stored, its lag the events it has not \
            folded yet. Answers: {"view", "version", "position", "lag"} a line each; with a \
            name, {"view", "version", "position", "lag", "state"}.

            Examples:
              evtool views --format table
              evtool views fleet --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The view to print; none lists them.", valueName: "name"))
    var name: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var printer = EventPrinter(format: output.format)
        let body: [UInt8]
        if let remote = store.remote {
            body = try await remote.send(.GET, name.map { "/v1/views/\($0)" } ?? "/v1/views").body
        } else {
            let name = name
            body = try await store.withStore(holder: "evtool views") { engine in
                guard let name else { return LogViewPosition.json(try engine.logViewPositions()) }
                guard let read = try engine.readLogView(name) else {
                    throw CommandFailure("there is no cross-object view \(name); there are \(engine.logViews.map(\.name).joined(separator: ", "))")
                }
                return read.json(name: name, head: engine.commits.committedPosition)
            }
        }
        guard name == nil, let list = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }), case .array(let views)? = list["views"] else {
            printer.print(document: body)
            return printer.flush()
        }
        for view in views { printer.print(document: Array(view.jsonText.utf8)) }
        printer.flush()
    }
}
