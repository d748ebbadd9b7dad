import EventModel
import EventStore
import Hummingbird
import NIOCore

/// An object's portable archive (the JSON Lines file of `evtool export`), read and written
/// while the server keeps serving:
/// - `GET /v1/objects/{type}/{id}/archive` → 200 `application/x-ndjson`, streamed a page at a
///   time: a header line (the branches, parents first) then every branch's own events;
/// - `PUT /v1/objects/{type}/{id}/archive[?replace=true]` with such a file → 201
///   `{"object", "events"}`: the object as it was, under the request's tenant; an object that
///   exists is 409 `object-exists` unless `replace=true`, which deletes it first; a line that is
///   not what the format says is 422 `invalid-archive` naming it (events before it stay); an
///   object retention compacted is 410 `compacted` (an archive holds every event).
struct ArchiveRoutes<Context: TenantRequestContext> {
    let store: EventStore

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/objects/:type/:id/archive") { request, context in try await export(request, context) }
        router.put("/v1/objects/:type/:id/archive") { request, context in try await importArchive(request, context) }
    }

    private func export(_ request: Request, _ context: Context) async throws -> Response {
        let object = try RequestParsing.stream(request, context).object
        // Refused before the answer starts, while a status can still say so.
        do {
            let branches = try store.branches(of: object)
            guard !branches.isEmpty else { throw Problem.objectNotFound(StreamName(object: object)) }
            try store.requireWholeHistory(of: object, branches: branches)
        } catch let error as EventStoreError { throw Problem(error) }
        let store = store
        let body = ResponseBody { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 16)
            _ = try await store.export(object) { line in
                buffer.writeBytes(line)
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 1 << 16 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    private func importArchive(_ request: Request, _ context: Context) async throws -> Response {
        let object = try RequestParsing.stream(request, context).object
        var replace = false
        if let value = request.uri.queryParameters.get("replace") {
            guard let flag = Bool(String(value)) else { throw Problem.invalidField("replace", "must be true or false") }
            replace = flag
        }
        var lines = RequestLines(body: request.body, lineBytesMax: store.configuration.limits.requestBytesMax)
        let imported: (object: ObjectKey, events: Int)
        do {
            imported = try await store.importObject(into: context.tenant, expecting: object, replacing: replace) { try await lines.next() }
        } catch EventStoreError.branchExists(let stream) where stream.branch == .main && !replace {
            throw Problem(
                .conflict, type: .objectExists, detail: "\(object) exists already: add ?replace=true to delete it and import the archive in its place",
                extensions: [Problem.string("field", "replace"), Problem.string("object", object.description)])
        } catch let error as ObjectArchive.ArchiveError {
            throw Problem(
                .unprocessableContent, type: .invalidArchive, detail: "the archive's \(error)",
                extensions: [Problem.number("line", UInt64(error.line))])
        } catch let error as EventStoreError {
            throw Problem(error)
        }
        var writer = JSONWriter(capacity: 128)
        writer.value(.object(["object": .string(imported.object.description), "events": .number(Double(imported.events))]))
        return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

/// A request body read a line at a time (without its newline), each at most `lineBytesMax`.
private struct RequestLines {
    private var iterator: RequestBody.AsyncIterator
    private let lineBytesMax: Int
    private var buffer = ByteBuffer()
    private var atEnd = false

    init(body: RequestBody, lineBytesMax: Int) {
        iterator = body.makeAsyncIterator()
        self.lineBytesMax = lineBytesMax
    }

    /// The next line; nil at the end of the body.
    /// - Throws: 413 ``ProblemType/payloadTooLarge`` for a line above the limit.
    mutating func next() async throws -> [UInt8]? {
        while true {
            if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer.readBytes(length: newline - buffer.readerIndex) ?? []
                buffer.moveReaderIndex(forwardBy: 1)
                return line
            }
            if atEnd {
                guard buffer.readableBytes > 0 else { return nil }
                return buffer.readBytes(length: buffer.readableBytes)
            }
            guard buffer.readableBytes <= lineBytesMax else {
                throw Problem(.contentTooLarge, type: .payloadTooLarge, detail: "a line of the archive is longer than the limit of \(lineBytesMax) bytes")
            }
            if var chunk = try await iterator.next() {
                buffer.discardReadBytes()
                buffer.writeBuffer(&chunk)
            } else {
                atEnd = true
            }
        }
    }
}
