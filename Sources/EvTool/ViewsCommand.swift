import ArgumentParser
import EventModel
import EventStore

/// `evtool views`: the cross-object views, or one of them: its summary, rows by key, prefix or
/// range, or its top rows.
struct ViewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "views",
        abstract: "List the cross-object views (with how far behind the log each is), or read one: its summary, rows by key, prefix or range, or its top N.",
        discussion: """
            A cross-object view folds the whole log: fleet (stock totals across every SKU, \
            readings and alerts across every building), low-stock (each SKU's available units \
            and reorder point, the short ones by shortfall), orders-by-customer (reservations \
            keyed CUSTOMER/SKU/ORDER) and sensor-leaderboard (buildings by active alerts). A \
            running server keeps them caught up; on a stopped data folder one reads as last \
            stored, its lag the events it has not folded yet.

            Answers: {"view", "version", "position", "lag"} a line each; with a name, its \
            summary {..., "state"}; with --key, --prefix, --from/--to, rows in key order \
            {..., "rows": [{"key", "row"}], "next"}; with --order or --top, rows in the view's \
            order, each with its "sortKey". Go on with --after set to a page's "next". --at \
            reads the view as it was at a log position.

            Examples:
              evtool views --format table
              evtool views low-stock --top 10
              evtool views orders-by-customer --prefix c-17/
              evtool views sensor-leaderboard --order desc --limit 20 --after 3:hq
              evtool views low-stock --key sku-42 --at 120000
              evtool views fleet --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The view to read; none lists them.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Read the one row under this key.", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("Read the rows whose keys start with this.", valueName: "prefix"))
    var prefix: String?

    @Option(help: ArgumentHelp("Read the rows from this key on (included).", valueName: "key"))
    var from: String?

    @Option(help: ArgumentHelp("Read the rows before this key (excluded).", valueName: "key"))
    var to: String?

    @Option(help: ArgumentHelp("Read the rows in the view's order: asc or desc.", valueName: "asc|desc"))
    var order: String?

    @Option(help: ArgumentHelp("The first N rows in the view's order, most first: --order desc --limit N.", valueName: "n"))
    var top: Int?

    @Option(help: ArgumentHelp("Rows per page: 1 to 1000 (default 100).", valueName: "n"))
    var limit: String?

    @Option(help: ArgumentHelp("Read on after this: the \"next\" of the page before.", valueName: "next"))
    var after: String?

    @Option(help: ArgumentHelp("Read the view as it was at this log position (not with --order).", valueName: "position"))
    var at: UInt64?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try readParameters()
    }

    /// The read's parameters, named as the HTTP route names them.
    private func readParameters() throws -> [String: String] {
        var read: [String: String] = [:]
        let options: [(String, String?)] = [
            ("key", key), ("prefix", prefix), ("from", from), ("to", to), ("order", order), ("limit", limit), ("after", after), ("at", at.map(String.init)),
        ]
        for case let (name, value?) in options { read[name] = value }
        if let top {
            guard order == nil, limit == nil else { throw ValidationError("--top N is --order desc --limit N; give one or the other") }
            read["order"] = "desc"
            read["limit"] = String(top)
        }
        guard name != nil || read.isEmpty else { throw ValidationError("name the view to read; without one, views are listed") }
        return read
    }

    func run() async throws {
        var printer = EventPrinter(format: output.format)
        let parameters = try readParameters()
        let body: [UInt8]
        if let remote = try store.remote {
            let query = parameters.sorted { $0.key < $1.key }.map { "\(ViewCommand.encoded($0.key))=\(ViewCommand.encoded($0.value))" }
            let path = name.map { "/v1/views/\(ViewCommand.encoded($0))" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")) } ?? "/v1/views"
            body = try await remote.send(.GET, path).body
        } else {
            let name = name
            body = try await store.withStore(holder: "evtool views") { engine in
                guard let name else { return LogViewPosition.json(try engine.logViewPositions()) }
                guard let view = engine.logViews.first(where: { $0.name == name }) else {
                    throw CommandFailure("there is no cross-object view \(name); there are \(engine.logViews.map(\.name).joined(separator: ", "))")
                }
                let query: LogViewQuery
                do throws(ViewQueryError) { query = try LogViewQuery(parameters: parameters, view: view) } catch {
                    throw CommandFailure("--\(error.field) \(error.reason)")
                }
                guard let answer = try engine.readLogView(name, query, tenant: store.chosenTenant) else { throw CommandFailure("there is no cross-object view \(name)") }
                return answer.json(view: view, head: engine.commits.committedPosition)
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
