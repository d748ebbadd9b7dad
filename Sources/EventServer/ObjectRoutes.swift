import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/objects/{type}/{id}/views/{view}` and `POST /v1/objects/{type}/{id}/commands/{name}`:
/// what an object knows of itself, and asking it to do something.
struct ObjectRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/objects/:type/:id/views/:view") { request, context in try view(request, context) }
        router.post("/v1/objects/:type/:id/commands/:name") { request, context in try await command(request, context) }
        router.post("/v1/objects/:type/:id/snapshots") { request, context in try await snapshot(request, context) }
        router.get("/v1/views") { _, context in try logViews(context) }
        router.get("/v1/views/:view") { request, context in try logView(request, context) }
    }

    private func definition(of stream: StreamName) throws -> ObjectTypeDefinition {
        guard let definition = store.objectTypes[stream.object.type.name] else {
            throw Problem(
                .notFound, type: .noViews, detail: "\(stream.object.type) has no views or commands; types with them: \(store.objectTypes.keys.sorted().joined(separator: ", "))",
                extensions: [Problem.string("field", "type")])
        }
        return definition
    }

    /// A view as of the object's last event (it always reflects at least the version an earlier
    /// append returned), or as it was at `?at=SEQ` or `?asOf=TIME`:
    /// - `{"view", "version", "state"}`: its state (a keyed view's summary);
    /// - `?key=K`: `{"view", "version", "key", "row"}`, 404 `row-not-found` when there is none;
    /// - `?prefix=P` and/or `?from=A&to=B` (keys from A, before B), with `?limit=` (100, at most
    ///   1,000) and `?after=` (the `next` of the page before): `{"view", "version", "rows":
    ///   [{"key", "row"}], "next"}`; `?limit=` or `?after=` alone pages through every row;
    /// - the view's own reads (a building's `aggregates?sensor=&resolution=&from=&to=`):
    ///   `{"view", "version", ...}` with the read's members;
    /// - `?pointer=/json/pointer` (RFC 6901): `{"view", "version", "pointer", "value"}`, into the
    ///   state, or into a row with `/rows/KEY/...`.
    private func view(_ request: Request, _ context: Context) throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        let definition = try definition(of: stream)
        let name = context.parameters.get("view") ?? ""
        guard let projection = definition.views.first(where: { $0.name == name }) else {
            throw Problem.viewNotFound(name, of: stream.object.type, views: definition.views.map(\.name))
        }
        let point = try RequestParsing.historyPoint(request)
        let query: ViewQuery
        do { query = try ViewQuery(parameters: Self.viewParameters(request), view: projection) } catch { throw Problem.invalidField(error.field, error.reason) }
        let answer: ViewAnswer
        do { answer = try store.answer(query, of: projection, for: stream, at: point) } catch { throw Problem(error) }
        return Response(
            status: .ok, headers: [.contentType: "application/json", .eTag: "\"\(answer.version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.json)))
    }

    /// The query parameters a view read may use (not the branch or the point in time).
    static func viewParameters(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where !["branch", "at", "asOf"].contains(String(name)) {
            parameters[String(name)] = String(value)
        }
        return parameters
    }

    /// The cross-object views: `{"views": [{"view", "version", "position", "lag"}]}`.
    private func logViews(_ context: Context) throws -> Response {
        // The same for every tenant: a view folds every tenant's events, each into its own part.
        let positions: [LogViewPosition]
        do { positions = try store.logViewPositions() } catch { throw Problem(error) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: LogViewPosition.json(positions))))
    }

    /// The request's tenant's part of a cross-object view (folded from that tenant's events),
    /// as far as it has folded the log, or as of `?at=POSITION`:
    /// - `{"view", "version", "position", "lag", "state"}`: its summary;
    /// - `?key=K`, `?prefix=P`, `?from=A&to=B` (keys from A, before B), with `?limit=` (100, at
    ///   most 1,000) and `?after=` (the `next` of the page before): `{"view", "version",
    ///   "position", "lag", "rows": [{"key", "row"}], "next"}`, in key order;
    /// - `?order=asc|desc` with `?limit=` and `?after=`: the rows in the view's order, each with
    ///   its `sortKey`, and `"orderedBy"` (top-N reads: `?order=desc&limit=10`).
    private func logView(_ request: Request, _ context: Context) throws -> Response {
        let name = context.parameters.get("view") ?? ""
        guard let view = store.logViews.first(where: { $0.name == name }) else {
            throw Problem(
                .notFound, type: .viewNotFound, detail: "there is no cross-object view \(name); there are \(store.logViews.map(\.name).joined(separator: ", "))",
                extensions: [Problem.string("field", "view")])
        }
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let field = String(key)
            guard LogViewQuery.parameters.contains(field) else {
                throw Problem.invalidField(field, "is not a parameter of a cross-object view's read; it takes \(LogViewQuery.parameters.sorted().joined(separator: ", "))")
            }
            parameters[field] = String(value)
        }
        let query: LogViewQuery
        do { query = try LogViewQuery(parameters: parameters, view: view) } catch { throw Problem.invalidField(error.field, error.reason) }
        let answer: LogViewAnswer?
        do { answer = try store.readLogView(name, query, tenant: context.tenant) } catch { throw Problem(error) }
        guard let answer else { throw Problem(.notFound, type: .viewNotFound, detail: "there is no cross-object view \(name)", extensions: [Problem.string("field", "view")]) }
        let json = answer.json(view: view, head: store.commits.committedPosition)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
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

    /// Runs a command through the object's single writer (its events stored with the
    /// `Event-Metadata` header's JSON object as metadata): 200 `{"object", "events", "version"}`,
    /// with `"state"` (the view the decider read, after the events) only when asked for with
    /// `Prefer: return=representation` or `?include=state`; or the decider's refusal as
    /// problem+json with its `code` and facts.
    private func command(_ request: Request, _ context: Context) async throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        let definition = try definition(of: stream)
        let name = context.parameters.get("name") ?? ""
        guard definition.commands[name] != nil else {
            throw Problem(
                .notFound, type: .commandNotFound, detail: "\(stream.object.type) has no command \(name); it has \(definition.commands.keys.sorted().joined(separator: ", "))",
                extensions: [Problem.string("field", "name")])
        }
        try RequestParsing.requireJSON(request)
        let representation = try RequestParsing.representation(request)
        let metadata = try RequestParsing.eventMetadata(request)
        let body = try await request.body.collect(upTo: store.configuration.limits.requestBytesMax)
        let command: JSONValue
        do {
            command = try body.withUnsafeReadableBytes { bytes throws(JSONSyntaxError) in try JSONValue(parsing: bytes) }
        } catch {
            throw Problem(AppendRequestError.malformedJSON(error))
        }
        // The precondition last, as RFC 9110 says: a request refused for what it is is refused so.
        let ifMatch = try RequestParsing.ifMatchVersion(request)
        let idempotencyKey = try RequestParsing.idempotencyKey(
            request,
            parts: [
                Array("command \(name) \(ifMatch.map(String.init) ?? "")".utf8), Array(buffer: body),
                Array((request.headers[RequestParsing.eventMetadata] ?? "").utf8),
            ])
        if let quotas = configuration.quotas {
            try quotas.admitObject(stream.object, store: store)
            try quotas.admitBytes(tenant: stream.object.tenant, store: store)
            try quotas.take(events: 1, tenant: stream.object.tenant)
        }
        let outcome: CommandOutcome
        do {
            outcome = try await store.run(
                CommandRequest(
                    stream: stream, expectedVersion: ifMatch.map { .exactly($0) } ?? .any, command: name, body: command, idempotencyKey: idempotencyKey,
                    includeState: representation != .minimal, metadata: metadata))
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
                writer.raw(state)
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
            HTTPResponse.Status(code: rejection.status), type: .commandRejected, detail: rejection.message, extensions: extensions)
    }

    /// A view read without an answer: 400 `invalid-request` for a parameter, 404
    /// `row-not-found` or `pointer-not-found` (with the `field`), a view's own read refused as
    /// 400 `invalid-query` (or its 404, `row-not-found`) with its code and facts.
    init(_ error: ViewAnswerError) {
        switch error {
        case .invalid(let invalid): self = .invalidField(invalid.field, invalid.reason)
        case .objectNotFound(let stream): self = .objectNotFound(stream)
        case .rowNotFound(let key, let view, let stream):
            self.init(
                .notFound, type: .rowNotFound, detail: "the view \(view) of \(stream) has no row \(key)",
                extensions: [Problem.string("field", "key"), Problem.string("key", key)])
        case .pointerNotFound(let pointer, let reason):
            self.init(
                .notFound, type: .pointerNotFound, detail: "\(pointer): \(reason)",
                extensions: [Problem.string("field", "pointer")])
        case .refused(let rejection):
            var extensions: [(name: String, json: [UInt8])] = [Problem.string("code", rejection.code)]
            for key in rejection.facts.keys.sorted() where !["type", "title", "status", "detail", "code"].contains(key) {
                var writer = JSONWriter()
                writer.value(rejection.facts[key]!)
                extensions.append((key, writer.bytes))
            }
            let notFound = rejection.status == 404
            self.init(
                notFound ? .notFound : .badRequest, type: notFound ? .rowNotFound : .invalidQuery, detail: rejection.message, extensions: extensions)
        case .store(let error): self.init(error)
        }
    }

    /// 404 for an object with no events, or a branch that does not exist.
    /// 404 `view-not-found` for an object type's view that does not exist (`field`: `view`).
    static func viewNotFound(_ name: String, of type: ObjectType, views: [String]) -> Problem {
        Problem(
            .notFound, type: .viewNotFound, detail: "\(type) has no view \(name); it has \(views.isEmpty ? "none" : views.joined(separator: ", "))",
            extensions: [Problem.string("field", "view")])
    }

    static func objectNotFound(_ stream: StreamName) -> Problem {
        guard stream.branch == .main else { return Problem(EventStoreError.branchNotFound(stream)) }
        return Problem(
            .notFound, type: .objectNotFound, detail: "\(stream) has no events yet",
            extensions: [Problem.string("object", stream.object.description)])
    }

    /// 412 for an `If-Match` that does not match the object's version.
    static func preconditionFailed(_ error: EventStoreError) -> Problem {
        let problem = Problem(error)
        return Problem(
            .preconditionFailed, type: .preconditionFailed, detail: problem.detail,
            extensions: problem.extensions)
    }
}
