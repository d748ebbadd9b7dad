import ArgumentParser
import EventModel
import EventStore

/// `evtool snapshot`: snapshot an object's views now.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Snapshot every view of an object at its head now.",
        discussion: """
            Views are snapshotted by themselves every 1,000 events; this adds one at the head, \
            so reads as of later points start from it.

            Examples:
              evtool snapshot inventory/sku-42
              evtool snapshot inventory/sku-42 --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object)
        var printer = EventPrinter(format: output.format)
        if let remote = store.remote {
            printer.print(document: try await remote.send(.POST, RemoteStore.path(key) + "/snapshots", body: Array("{}".utf8)).body)
        } else {
            let version = try await store.withStore(holder: "evtool snapshot") { try await $0.snapshot(StreamName(object: key)) }
            printer.print(document: Array(JSONValue.object(["object": .string(key.description), "version": .number(Double(version))]).jsonText.utf8))
        }
        printer.flush()
    }
}
