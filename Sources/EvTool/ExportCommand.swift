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
            Works on a data folder (stop the server first, or export from a copy).

            Examples:
              evtool export inventory/sku-42 > sku-42.evlog
              evtool export inventory/sku-42 --data /var/lib/evlog --output sku-42.evlog
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: ArgumentHelp("Write here instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
    var data = "./data"

    @OptionGroup var tenant: TenantOptions

    func validate() throws { _ = try parseObject(object) }

    func run() async throws {
        let key = try parseObject(object, tenant: tenant.chosen)
        let file = try ArchiveFile(writingTo: output)
        let engine = try StoreOptions.open(data: data, holder: "evtool export")
        let count: Int
        do {
            count = try engine.export(key) { line in try file.write(line) }
            try file.close()
        } catch {
            await engine.close()
            if let output { unlink(output) }
            throw CommandFailure("\(error)")
        }
        await engine.close()
        FileHandle.standardError.write(Data("exported \(key): \(count) events\n".utf8))
    }
}
