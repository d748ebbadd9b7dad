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
            so reads as of later points start from it. A branch with no events yet (forked at \
            0) has nothing to snapshot: the answer lists no views.

            Examples:
              evtool snapshot inventory/sku-42
              evtool snapshot inventory/sku-42 --branch what-if
              evtool snapshot inventory/sku-42 --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @OptionGroup var branch: BranchOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            printer.print(document: try await remote.send(.POST, RemoteStore.path(key) + "/snapshots" + branch.query("?"), body: Array("{}".utf8)).body)
        } else {
            let stream = StreamName(object: key, branch: branch.name)
            let taken = try await store.withStore(holder: "evtool snapshot") { try await $0.snapshot(stream) }
            printer.print(document: taken.json())
        }
        printer.flush()
    }
}
