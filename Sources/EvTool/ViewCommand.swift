import ArgumentParser
import EventModel
import EventStore
import Foundation

/// `evtool view`: an object's view, or a part of it, as the server would answer it.
struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Print an object's view, a row of it, a page of rows, or a part: as GET .../views/VIEW answers.",
        discussion: """
            A view is a deterministic fold of the object's events (for inventory: stock, its \
            summary of available, reserved and sold units, and a row per order). It reflects \
            every acknowledged append. A keyed view keeps its rows apart from its summary: read \
            one by --key, or a page of them by --prefix and/or --from/--to, --limit at a time, \
            going on with --after set to the page's "next".

            Answers: {"view", "version", "state"}; with --key {"key", "row"}; with a range \
            {"rows": [{"key", "row"}], "next"}; with --pointer {"pointer", "value"}; with \
            --param, the view's own read (a building's aggregates by sensor).

            Examples:
              evtool view inventory/sku-42 stock
              evtool view inventory/sku-42 stock --key order-17
              evtool view inventory/sku-42 stock --prefix order- --limit 50
              evtool view inventory/sku-42 stock --limit 1000 --after order-49
              evtool view inventory/sku-42 stock --pointer /available --at 120
              evtool view building/hq aggregates --param sensor=t-1 --param resolution=hour
              evtool view inventory/sku-42 stock --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Argument(help: ArgumentHelp("The view's name, e.g. stock.", valueName: "view"))
    var view: String

    @Option(help: ArgumentHelp("Read the one row under this key.", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("Read the rows whose keys start with this.", valueName: "prefix"))
    var prefix: String?

    @Option(help: ArgumentHelp("Read the rows from this key on (included).", valueName: "key"))
    var from: String?

    @Option(help: ArgumentHelp("Read the rows before this key (excluded).", valueName: "key"))
    var to: String?

    @Option(help: ArgumentHelp("Rows per page: 1 to 1000 (default 100).", valueName: "n"))
    var limit: String?

    @Option(help: ArgumentHelp("Read the rows after this key: the \"next\" of the page before.", valueName: "key"))
    var after: String?

    @Option(help: ArgumentHelp("Read one part of the view, by RFC 6901 JSON Pointer; /rows/KEY/... reads into a row.", valueName: "pointer"))
    var pointer: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A parameter of the view's own read, NAME=VALUE (repeatable).", valueName: "name=value"))
    var parameters: [String] = []

    @Option(help: ArgumentHelp("Read the view as it was after this seq.", valueName: "seq"))
    var at: UInt64?

    @OptionGroup var branch: BranchOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        _ = try readParameters()
    }

    /// The read's parameters, named as the HTTP route names them.
    private func readParameters() throws -> [String: String] {
        var read: [String: String] = [:]
        for given in parameters {
            guard let equals = given.firstIndex(of: "="), equals != given.startIndex else {
                throw ValidationError("--param takes NAME=VALUE, got \"\(given)\"")
            }
            read[String(given[..<equals])] = String(given[given.index(after: equals)...])
        }
        let options: [(String, String?)] = [("key", key), ("prefix", prefix), ("from", from), ("to", to), ("limit", limit), ("after", after), ("pointer", pointer)]
        for case let (name, value?) in options {
            guard read[name] == nil else { throw ValidationError("--\(name) and --param \(name)=... say the same thing; give one") }
            read[name] = value
        }
        return read
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let parameters = try readParameters()
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            var query = parameters.sorted { $0.key < $1.key }.map { "\(Self.encoded($0.key))=\(Self.encoded($0.value))" }
            if branch.name != .main { query.append("branch=\(Self.encoded(branch.name.name))") }
            if let at { query.append("at=\(at)") }
            let path = RemoteStore.path(key) + "/views/\(Self.encoded(view))" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            printer.print(document: try await remote.send(.GET, path).body)
        } else {
            let engine = try store.openStore(holder: "evtool view", mustExist: true)
            let result: Result<ViewAnswer, ViewAnswerError>
            if let projection = engine.objectTypes[key.type.name]?.views.first(where: { $0.name == view }) {
                result = Result { () throws(ViewAnswerError) in
                    let query: ViewQuery
                    do throws(ViewQueryError) { query = try ViewQuery(parameters: parameters, view: projection) } catch { throw .invalid(error) }
                    return try engine.answer(query, of: projection, for: StreamName(object: key, branch: branch.name), at: at.map { .seq($0) } ?? .head)
                }
            } else {
                await engine.close()
                let known = engine.objectTypes[key.type.name]?.views.map(\.name).joined(separator: ", ") ?? "none"
                throw CommandFailure("\(key.type) has no view \(view); its views: \(known)")
            }
            await engine.close()
            switch result {
            case .success(let answer): printer.print(document: answer.json)
            case .failure(.invalid(let invalid)): throw CommandFailure("--\(invalid.field) \(invalid.reason)")
            case .failure(let error): throw CommandFailure(error.description)
            }
        }
        printer.flush()
    }

    /// `text` percent-encoded for a query (RFC 3986 unreserved characters kept).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")) ?? text
    }
}
