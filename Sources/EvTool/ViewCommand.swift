import ArgumentParser
import EventModel
import EventStore

/// `evtool view`: an object's view, as the server would answer it.
struct ViewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Print an object's view: {\"view\", \"version\", \"state\"}.",
        discussion: """
            A view is a deterministic fold of the object's events (for inventory: stock, with \
            available, reserved, sold and pending reservations). It reflects every acknowledged \
            append.

            Examples:
              evtool view inventory/sku-42 stock
              evtool view inventory/sku-42 stock --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Argument(help: ArgumentHelp("The view's name, e.g. stock.", valueName: "view"))
    var view: String

    @OptionGroup var branch: BranchOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object)
        var printer = EventPrinter(format: output.format)
        if let remote = store.remote {
            printer.print(document: try await remote.send(.GET, RemoteStore.path(key) + "/views/\(view)\(branch.query("?"))").body)
        } else {
            let engine = try store.openStore(holder: "evtool view", mustExist: true)
            let result: Result<ViewRead?, EventStoreError>
            if let projection = engine.objectTypes[key.type.name]?.views.first(where: { $0.name == view }) {
                result = Result { () throws(EventStoreError) in try engine.readView(projection, of: StreamName(object: key, branch: branch.name)) }
            } else {
                await engine.close()
                let known = engine.objectTypes[key.type.name]?.views.map(\.name).joined(separator: ", ") ?? "none"
                throw CommandFailure("\(key.type) has no view \(view); its views: \(known)")
            }
            await engine.close()
            switch result {
            case .success(let read?):
                var writer = JSONWriter()
                writer.ascii("{\"view\":")
                writer.string(view)
                writer.ascii(",\"version\":")
                writer.integer(read.version)
                writer.ascii(",\"state\":")
                writer.bytes.append(contentsOf: read.state)
                writer.ascii("}")
                printer.print(document: writer.bytes)
            case .success(nil): throw CommandFailure("\(key) has no events")
            case .failure(let error): throw CommandFailure(error.description)
            }
        }
        printer.flush()
    }
}
