import ArgumentParser
import EventModel
import EventStore
import Foundation

/// `evtool export`: an object with all its branches as a portable file.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an object with all its branches as a portable JSON Lines file.",
        discussion: """
            The first line lists the branches (parent, fork seq, head); then every branch's own \
            events follow with their ids, data, metadata and commit times. `evtool import` \
            brings the file into another data folder, and reads there give the same answers. \
            Works on a data folder, or on a running server with --url (GET \
            /v1/objects/TYPE/ID/archive, scope read) while it keeps serving: the same file.

            Examples:
              evtool export inventory/sku-42 > sku-42.evlog
              evtool export inventory/sku-42 --data /var/lib/evlog --output sku-42.evlog
              evtool export inventory/sku-42 --url http://127.0.0.1:8080 --output sku-42.evlog
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: ArgumentHelp("Write here instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var store: StoreOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let file = try ArchiveFile(writingTo: output)
        let count: Int
        do {
            count = try await export(key, into: file)
            try file.close()
        } catch {
            if let output { unlink(output) }
            throw error as? CommandFailure ?? CommandFailure("\(error)")
        }
        FileHandle.standardError.write(Data("exported \(key): \(count) events\n".utf8))
    }

    /// Writes the archive of `key` into `file`; returns the number of events.
    private func export(_ key: ObjectKey, into file: ArchiveFile) async throws -> Int {
        guard let remote = try store.remote else {
            return try await store.withStore(holder: "evtool export") { engine in try await engine.export(key) { line in try file.write(line) } }
        }
        var lines = 0
        try await remote.download(RemoteStore.path(key) + "/archive") { chunk in
            lines += chunk.readableBytesView.lazy.filter { $0 == UInt8(ascii: "\n") }.count
            try file.write(raw: chunk.readableBytesView)
        }
        return max(0, lines - 1)
    }
}
