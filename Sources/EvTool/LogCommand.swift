import ArgumentParser
import EventModel
import EventStore

/// `evtool log`: the global log, and following it live.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the global log in commit order, or follow it live.",
        discussion: """
            Prints every event after --after (default 0: from the start), each with its object \
            and branch. --follow keeps printing events as they commit; it needs --url, since a \
            data folder has only one writer, the server that holds it.

            Examples:
              evtool log --limit 20 --format table
              evtool log --after 1500
              evtool log --url http://127.0.0.1:8080 --follow
            """)

    @Option(help: "Print events after this position.")
    var after: UInt64 = 0

    @Option(help: "The most events to print (default: all).")
    var limit: Int?

    @Flag(help: "Keep printing events as they commit (needs --url).")
    var follow = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if follow && store.url == nil {
            throw ValidationError("--follow needs --url: a data folder can only be followed through the server that holds it")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        var printer = EventPrinter(format: output.format)
        var remaining = limit ?? Int.max
        var position = after
        if let remote = try store.remote {
            if follow {
                try await remote.follow(after: position) { data in
                    data.withUnsafeBytes { printer.print(event: $0) }
                    printer.flush()
                }
                return
            }
            while remaining > 0 {
                var delivered = 0
                let page = try await remote.send(.GET, "/v1/log?after=\(position)&limit=\(min(remaining, 1000))")
                let members = try forEachEvent(inPage: page.body) { event in
                    printer.print(event: event)
                    delivered += 1
                }
                // A page may hold none of the tenant's events while `next` moves past others'.
                guard let next = members["next"].flatMap({ UInt64($0) }), next > position else { break }
                remaining -= delivered
                position = next
            }
        } else {
            let engine = try store.openStore(holder: "evtool log", mustExist: true)
            var writer = JSONWriter(capacity: 1024)
            let tenant = store.chosenTenant
            do {
                while remaining > 0 {
                    var delivered = 0
                    let page = try engine.readLog(after: position, limit: min(remaining, 1000)) { event, name in
                        guard tenant.owns(name.tenant) else { return }
                        writer.bytes.removeAll(keepingCapacity: true)
                        EventJSON.write(event, name: name, into: &writer)
                        writer.bytes.withUnsafeBytes { printer.print(event: $0) }
                        delivered += 1
                    }
                    guard page.count > 0 else { break }
                    remaining -= delivered
                    position = page.lastPosition
                }
            } catch {
                await engine.close()
                throw CommandFailure(error.description)
            }
            await engine.close()
        }
        printer.flush()
    }
}
