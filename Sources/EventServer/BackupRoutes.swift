import EventModel
import EventStore
import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/admin/backup {"name"?, "after"?}`: a consistent backup of the whole store, taken
/// while the server keeps serving, into a folder of its own under the server's `--backup-dir`:
/// 201 with its manifest (`{"name", "path", "format", "position", "created", "bytes", "crc32c",
/// "compressedBytes"}`). With `after` (the name of a backup there, full or incremental), an
/// incremental one: the events committed since it (``BackupTailManifest``, whose manifest adds
/// `base` and `events`).
struct BackupRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: some RouterMethods<Context>) {
        router.post("/v1/admin/backup") { request, _ in try await backup(request) }
    }

    private func backup(_ request: Request) async throws -> Response {
        guard let directory = configuration.backupDirectory else {
            throw Problem(
                .conflict, type: .noBackupDirectory, detail: "this server has no backup folder: start it with --backup-dir DIR",
                extensions: [Problem.string("field", "--backup-dir")])
        }
        var name = "backup-\(store.commits.committedPosition)-\(Int64(Date().timeIntervalSince1970 * 1_000))"
        var after: String?
        let hasBody = request.headers[.contentLength].flatMap(Int.init).map { $0 > 0 } ?? (request.headers[.transferEncoding] != nil)
        if hasBody {
            let body = try await RequestParsing.jsonObject(request, store: store, members: ["name", "after"])
            if let value = body["name"] { name = try Self.folderName(value, field: "/name") }
            if let value = body["after"] { after = try Self.folderName(value, field: "/after") }
        }
        let path = directory + "/" + name
        let manifest: [UInt8]
        do {
            if let after {
                manifest = try await store.backupTail(after: directory + "/" + after, to: path).json
            } else {
                manifest = try await store.backup(to: path).json
            }
        } catch .invalidRequest(field: "after", let reason) {
            throw Problem(.unprocessableContent, type: .invalidRequest, detail: "after: \(reason)", extensions: [Problem.string("field", "/after")])
        } catch {
            throw Problem(error)
        }
        var writer = JSONWriter(capacity: 256)
        writer.ascii("{\"name\":")
        writer.string(name)
        writer.ascii(",\"path\":")
        writer.string(path)
        writer.byte(UInt8(ascii: ","))
        writer.bytes.append(contentsOf: manifest.dropFirst())
        return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// A backup's folder name under the backup folder: 1-64 of a-z, 0-9, `-` and `_`.
    private static func folderName(_ value: JSONValue, field: String) throws -> String {
        guard let text = value.stringValue, (1...64).contains(text.utf8.count),
            text.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F })
        else { throw Problem.invalidField(field, "must be 1-64 of a-z, 0-9, '-' and '_' (a folder under the backup folder)") }
        return text
    }
}
