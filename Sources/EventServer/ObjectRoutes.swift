import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/objects/{type}/{id}/views/{view}` and `POST /v1/objects/{type}/{id}/commands/{name}`:
/// what an object knows of itself, and asking it to do something.
struct ObjectRoutes<Context: RequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: Router<Context>) {
        router.get("/v1/objects/:type/:id/views/:view") { request, context in try view(request, context) }
        router.post("/v1/objects/:type/:id/commands/:name") { request, context in try await command(request, context) }
        router.post("/v1/objects/:type/:id/snapshots") { request, context in try await snapshot(request, context) }
        router.get("/v1/views/:view") { _, context in try logView(context) }
    }

    private func definition(of stream: StreamName) throws -> ObjectTypeDefinition {
        guard let definition = store.objectTypes[stream.object.type.name] else {
            throw Problem(
                .notFound, type: "no-views", title: "The object type has no views or commands",
                detail: "\(stream.object.type) has no views or commands; types with them: \(store.objectTypes.keys.sorted().joined(separator: ", "))",
                extensions: [Problem.string("field", "type")])
        }
        return definition
    }

    /// `{"view", "version", "state"}`: the view as of the object's last event (it always
    /// reflects at least the version an earlier append returned), or as it was at `?at=SEQ` or
    /// `?asOf=TIME`. With `?pointer=/json/pointer` (RFC 6901), only that part:
    /// `{"view", "version", "pointer", "value"}`.
    private func view(_ request: Request, _ context: Context) throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        let definition = try definition(of: stream)
        let name = context.parameters.get("view") ?? ""
        guard let projection = definition.views.first(where: { $0.name == name }) else {
            throw Problem(
                .notFound, type: "view-not-found", title: "The view does not exist",
                detail: "\(stream.object.type) has no view \(name); it has \(definition.views.map(\.name).joined(separator: ", "))",
                extensions: [Problem.string("field", "view")])
        }
        let point = try RequestParsing.historyPoint(request)
        let read: ViewRead?
        do { read = try store.readView(projection, of: stream, at: point) } catch { throw Problem(error) }
        guard let read else { throw Problem.objectNotFound(stream) }
        var writer = JSONWriter(capacity: read.state.count + 64)
        writer.ascii("{\"view\":")
        writer.string(name)
        writer.ascii(",\"version\":")
        writer.integer(read.version)
        if let pointer = request.uri.queryParameters.get("pointer").map({ String($0) }) {
            writer.ascii(",\"pointer\":")
            writer.string(pointer)
            writer.ascii(",\"value\":")
            writer.value(try ViewPart.value(in: read.state, at: pointer))
        } else {
            writer.ascii(",\"state\":")
            writer.bytes.append(contentsOf: read.state)
        }
        writer.byte(UInt8(ascii: "}"))
        return Response(
            status: .ok, headers: [.contentType: "application/json", .eTag: "\"\(read.version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// A cross-object view: `{"view", "version", "position", "lag", "state"}`, as of the log
    /// position it has folded.
    private func logView(_ context: Context) throws -> Response {
        let name = context.parameters.get("view") ?? ""
        let read: LogViewRead?
        do { read = try store.readLogView(name) } catch { throw Problem(error) }
        guard let read else {
            throw Problem(
                .notFound, type: "view-not-found", title: "The view does not exist",
                detail: "there is no cross-object view \(name); there are \(store.logViews.map(\.name).joined(separator: ", "))",
                extensions: [Problem.string("field", "view")])
        }
        var writer = JSONWriter(capacity: read.state.count + 96)
        writer.ascii("{\"view\":")
        writer.string(name)
        writer.ascii(",\"version\":")
        writer.integer(read.version)
        writer.ascii(",\"position\":")
        writer.integer(read.position)
        writer.ascii(",\"lag\":")
        writer.integer(store.commits.committedPosition - min(store.commits.committedPosition, read.position))
        writer.ascii(",\"state\":")
        writer.bytes.append(contentsOf: read.state)
        writer.byte(UInt8(ascii: "}"))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// Snapshots every view of the object at its head: 201 `{"object", "branch", "version",
    /// "views"}`; 200 with no views for a branch with no events yet (nothing to snapshot).
    private func snapshot(_ request: Request, _ context: Context) async throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        _ = try definition(of: stream)
        let taken: SnapshotTaken
        do { taken = try await store.snapshot(stream) } catch { throw Problem(error) }
        return Response(
            status: taken.views.isEmpty ? .ok : .created, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: taken.json())))
    }

    /// Runs a command through the object's single writer: 200 `{"object", "events", "version"}`,
    /// with `"state"` (the view the decider read, after the events) only when asked for with
    /// `Prefer: return=representation` or `?include=state`; or the decider's refusal as
    /// problem+json with its `code` and facts.
    private func command(_ request: Request, _ context: Context) async throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        let definition = try definition(of: stream)
        let name = context.parameters.get("name") ?? ""
        guard definition.commands[name] != nil else {
            throw Problem(
                .notFound, type: "command-not-found", title: "The command does not exist",
                detail: "\(stream.object.type) has no command \(name); it has \(definition.commands.keys.sorted().joined(separator: ", "))",
                extensions: [Problem.string("field", "name")])
        }
        try RequestParsing.requireJSON(request)
        let ifMatch = try RequestParsing.ifMatchVersion(request)
        let representation = try RequestParsing.representation(request)
        let body = try await request.body.collect(upTo: store.configuration.limits.requestBytesMax)
        let idempotencyKey = try RequestParsing.idempotencyKey(request, parts: [Array("command \(name) \(ifMatch.map(String.init) ?? "")".utf8), Array(buffer: body)])
        let command: JSONValue
        do {
            command = try body.withUnsafeReadableBytes { bytes throws(JSONSyntaxError) in try JSONValue(parsing: bytes) }
        } catch {
            throw Problem(AppendRequestError.malformedJSON(error))
        }
        let outcome: CommandOutcome
        do {
            outcome = try await store.run(
                CommandRequest(
                    stream: stream, expectedVersion: ifMatch.map { .exactly($0) } ?? .any, command: name, body: command, idempotencyKey: idempotencyKey))
        } catch {
            if case .rejected(let rejection) = error { throw Problem(rejection) }
            if ifMatch != nil, case .versionConflict = error { throw Problem.preconditionFailed(error) }
            throw Problem(error)
        }
        var writer = JSONWriter(capacity: 512)
        writer.ascii("{\"object\":")
        writer.string(stream.object.description)
        writer.ascii(",\"events\":")
        EventJSON.writeDecided(outcome, into: &writer)
        writer.ascii(",\"version\":")
        writer.integer(outcome.version)
        if representation != .minimal {
            writer.ascii(",\"state\":")
            if let state = outcome.state {
                writer.value(state)
            } else if let view = definition.commands[name].flatMap({ decider in definition.views.first { $0.name == decider.viewName } }) {
                // A replayed answer: the view as the first answer had it.
                do { writer.bytes.append(contentsOf: try store.readView(view, of: stream, at: .seq(outcome.version))?.state ?? Array("null".utf8)) } catch {
                    throw Problem(error)
                }
            }
        }
        writer.byte(UInt8(ascii: "}"))
        var headers: HTTPFields = [.contentType: "application/json", .eTag: "\"\(outcome.version)\""]
        if representation == .preferred { headers[RequestParsing.preferenceApplied] = "return=representation" }
        if outcome.isReplay { headers[RequestParsing.idempotentReplayed] = "true" }
        return Response(
            status: .ok, headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

extension Problem {
    /// A decider's refusal: its status, `type` `/problems/command-rejected`, its `code` and facts.
    init(_ rejection: Rejection) {
        var extensions: [(name: String, json: [UInt8])] = [Problem.string("code", rejection.code)]
        for key in rejection.facts.keys.sorted() where !["type", "title", "status", "detail", "code"].contains(key) {
            var writer = JSONWriter()
            writer.value(rejection.facts[key]!)
            extensions.append((key, writer.bytes))
        }
        self.init(
            HTTPResponse.Status(code: rejection.status), type: "command-rejected", title: "The command was refused",
            detail: rejection.message, extensions: extensions)
    }

    /// 404 for an object with no events, or a branch that does not exist.
    static func objectNotFound(_ stream: StreamName) -> Problem {
        guard stream.branch == .main else { return Problem(EventStoreError.branchNotFound(stream)) }
        return Problem(
            .notFound, type: "object-not-found", title: "The object has no events", detail: "\(stream) has no events yet",
            extensions: [Problem.string("object", stream.object.description)])
    }

    /// 412 for an `If-Match` that does not match the object's version.
    static func preconditionFailed(_ error: EventStoreError) -> Problem {
        let problem = Problem(error)
        return Problem(
            .preconditionFailed, type: "precondition-failed", title: "If-Match does not match the object's version", detail: problem.detail,
            extensions: problem.extensions)
    }
}
