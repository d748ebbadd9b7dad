import ArgumentParser
import EventModel
import EventStore
import Foundation
import NIOCore

/// `evtool import`: bring back an object written by `evtool export`.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an object (all its branches) from a file written by `evtool export`.",
        discussion: """
            Branches are created as they were and events appended with their original ids, \
            data, metadata and commit times. An object that exists already is refused unless \
            --replace, which deletes it first (every branch; its event ids are freed). Works on \
            a data folder (the object goes to --tenant), or on a running server with --url (PUT \
            /v1/objects/TYPE/ID/archive, scope admin; the object goes to the token's tenant), \
            streamed while the server keeps serving. Prints {"object", "events"}.

            Examples:
              evtool import < sku-42.evlog
              evtool import --input sku-42.evlog --data ./restored --replace
              evtool import --input sku-42.evlog --url http://127.0.0.1:8080
            """)

    @Option(help: ArgumentHelp("Read from this file instead of standard input.", valueName: "file"))
    var input: String?

    @Flag(help: "Delete the object first if it exists.")
    var replace = false

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let reader = try ArchiveFile(readingFrom: input)
        if let remote = try store.remote {
            print(String(decoding: try await upload(reader, to: remote), as: UTF8.self))
            return
        }
        let engine = try StoreOptions.openOrCreate(data: store.data, holder: "evtool import")
        do {
            let (object, count) = try await engine.importObject(into: store.chosenTenant, replacing: replace) { try reader.nextLine() }
            await engine.close()
            print(JSONValue.object(["object": .string(object.description), "events": .number(Double(count))]).jsonText)
        } catch EventStoreError.branchExists(let stream) where stream.branch == .main {
            await engine.close()
            throw CommandFailure("\(stream.object) exists already in \(store.data); pass --replace to delete it and import the file in its place")
        } catch {
            await engine.close()
            throw CommandFailure("\(error)")
        }
    }

    /// Sends the archive to the server: its header names the object (and so the route), then
    /// the file streams as it is read. Returns the server's answer.
    private func upload(_ reader: ArchiveFile, to remote: RemoteStore) async throws -> [UInt8] {
        guard let header = try reader.peekFirstLine() else { throw CommandFailure("line 1: the archive is empty") }
        guard let named = (try? header.withUnsafeBytes { try JSONValue(parsing: $0) })?["object"]?.stringValue, let key = try? ObjectKey(parsing: named) else {
            throw CommandFailure("line 1: not an evlog object archive (its header names no TYPE/ID object)")
        }
        let chunks = AsyncThrowingStream<ByteBuffer, any Error>(unfolding: { try reader.nextChunk().map { ByteBuffer(bytes: $0) } })
        return try await remote.upload(
            .PUT, RemoteStore.path(key) + "/archive" + (replace ? "?replace=true" : ""), contentType: "application/x-ndjson", chunks: chunks)
    }
}
