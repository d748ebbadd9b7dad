import ArgumentParser
import EventModel
import EventStore

/// `evtool stats`: what a store holds.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print what a store holds: events, streams, map size and use.",
        discussion: """
            Examples:
              evtool stats
              evtool stats --format table
              evtool stats --url http://127.0.0.1:8080
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            printer.print(document: try await remote.send(.GET, "/healthz").body)
        } else {
            let engine = try store.openStore(holder: "evtool stats", mustExist: true)
            let statistics: StoreStatistics
            do { statistics = try engine.statistics() } catch {
                await engine.close()
                throw CommandFailure(error.description)
            }
            await engine.close()
            var writer = JSONWriter()
            EventJSON.write(statistics, into: &writer)
            printer.print(document: writer.bytes)
        }
        printer.flush()
    }
}
