import ArgumentParser
import EventModel
import EventStore

/// `evtool read`: one object's events.
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print an object's events in seq order.",
        discussion: """
            Reads from --from (default: the first event kept, seq 1 unless retention compacted some) up to --limit events (default: all), page by page.

            Examples:
              evtool read inventory/sku-42
              evtool read inventory/sku-42 --from 100 --limit 10 --format table
              evtool read inventory/sku-42 --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: "The first seq to print (default: the first one kept).")
    var from: UInt64?

    @Option(help: "The most events to print (default: all).")
    var limit: Int?

    @OptionGroup var branch: BranchOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        if let from, from < 1 { throw ValidationError("--from must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        var printer = EventPrinter(format: output.format, object: key.description)
        var remaining = limit ?? Int.max
        var next: UInt64? = from ?? 0
        if let remote = try store.remote {
            while let seq = next, remaining > 0 {
                let page = try await remote.send(.GET, RemoteStore.path(key) + "/events?\(seq > 0 ? "from=\(seq)&" : "")limit=\(min(remaining, 1000))\(branch.query("&"))")
                let members = try forEachEvent(inPage: page.body) { event in
                    printer.print(event: event)
                    remaining -= 1
                }
                next = members["next"].flatMap { UInt64($0) }
            }
        } else {
            // Closed before the command returns, whatever happens: the next command may open it.
            try await store.withStore(holder: "evtool read") { engine in
                var writer = JSONWriter(capacity: 1024)
                while let seq = next, remaining > 0 {
                    let page = try engine.readStream(StreamName(object: key, branch: branch.name), from: seq, limit: min(remaining, 1000)) { event in
                        writer.bytes.removeAll(keepingCapacity: true)
                        EventJSON.write(event, into: &writer)
                        writer.bytes.withUnsafeBytes { printer.print(event: $0) }
                    }
                    guard let page else {
                        throw CommandFailure(branch.name == .main ? "\(key) has no events" : "\(key) has no branch \(branch.name)")
                    }
                    remaining -= page.count
                    next = page.next
                }
            }
        }
        printer.flush()
    }
}
