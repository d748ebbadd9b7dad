import ArgumentParser
import EventModel
import EventStore
import Foundation

/// `evtool import`: bring back an object written by `evtool export`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an object (all its branches) from a file written by `evtool export`.",
        discussion: """
            Branches are created as they were and events appended with their original ids, \
            data, metadata and commit times. An object that exists already is refused unless \
            --replace, which deletes it first (every branch; its event ids are freed). Works on \
            a data folder.

            Examples:
              evtool import < sku-42.evlog
              evtool import --input sku-42.evlog --data ./restored --replace
            """)

    @Option(help: ArgumentHelp("Read from this file instead of standard input.", valueName: "file"))
    var input: String?

    @Flag(help: "Delete the object first if it exists.")
    var replace = false

    @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
    var data = "./data"

    func run() async throws {
        let reader = try ArchiveFile(readingFrom: input)
        let engine = try StoreOptions.openOrCreate(data: data, holder: "evtool import")
        do {
            let (object, count) = try await engine.importObject(replacing: replace) { try reader.nextLine() }
            await engine.close()
            print(JSONValue.object(["object": .string(object.description), "events": .number(Double(count))]).jsonText)
        } catch EventStoreError.branchExists(let stream) where stream.branch == .main {
            await engine.close()
            throw CommandFailure("\(stream.object) exists already in \(data); pass --replace to delete it and import the file in its place")
        } catch {
            await engine.close()
            throw CommandFailure("\(error)")
        }
    }
}
