import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `POST` and `GET /v1/objects/{type}/{id}/events`: append to one object and read it back.
struct EventRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: some RouterMethods<Context>) {
        router.post("/v1/objects/:type/:id/events") { request, context in try await append(request, context) }
        router.get("/v1/objects/:type/:id/events") { request, context in try read(request, context) }
    }

    /// Appends a batch atomically: 201 with the numbers, 200 when it is a retry of an earlier
    /// request (same event ids), a problem otherwise with nothing written. With
    /// `Idempotency-Key`, a request sent again answers what the first answered (status and
    /// body, with `Idempotent-Replayed: true`) and writes nothing.
    private func append(_ request: Request, _ context: Context) async throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        let schemas = configuration.schemas
        guard schemas.types[stream.object.type.name] != nil || schemas.allowsUndeclared else { throw Problem.undeclaredType(stream.object.type, schemas) }
        try RequestParsing.requireJSON(request)
        let limits = store.configuration.limits
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limits.requestBytesMax)
        } catch is NIOTooManyBytesError {
            throw Problem(
                .contentTooLarge, type: .payloadTooLarge, detail: "the body is larger than the limit of \(limits.requestBytesMax) bytes",
                extensions: [Problem.string("field", "request"), Problem.number("limit", UInt64(limits.requestBytesMax))])
        }
        let parsed: ParsedAppend
        let keepingData = schemas.needsData(for: stream.object.type)
        do {
            parsed = try body.withUnsafeReadableBytes { bytes throws(AppendRequestError) in
                try AppendRequestParser.parse(bytes, limits: limits, keepingData: keepingData)
            }
        } catch {
            throw Problem(error)
        }
        if case .invalid(let violations) = schemas.validate(objectType: stream.object.type, eventTypes: parsed.eventTypes, data: parsed.dataValues) {
            throw Problem.schemaViolations(violations)
        }
        // The precondition last, as RFC 9110 says: a request refused for what it is is refused so.
        let ifMatch = try RequestParsing.ifMatchVersion(request)
        var expected = parsed.expectedVersion ?? .any
        if let ifMatch {
            if let stated = parsed.expectedVersion, stated != .exactly(ifMatch) {
                throw Problem.invalidField("If-Match", "says version \(ifMatch) but the body's expectedVersion differs; send one of them")
            }
            expected = .exactly(ifMatch)
        }
        var append = AppendRequest(stream: stream, expectedVersion: expected, events: parsed.events, data: parsed.dataValues)
        append.idempotencyKey = try RequestParsing.idempotencyKey(request, parts: [Array("append \(ifMatch.map(String.init) ?? "")".utf8), Array(buffer: body)])
        if let quotas = configuration.quotas {
            try quotas.admitObject(stream.object, store: store)
            try quotas.admitBytes(tenant: stream.object.tenant, store: store)
            try quotas.take(events: append.eventCount, tenant: stream.object.tenant)
        }
        let outcome: AppendOutcome
        do {
            outcome = try await store.append(append)
        } catch {
            if ifMatch != nil, case .versionConflict = error { throw Problem.preconditionFailed(error) }
            throw Problem(error)
        }
        var writer = JSONWriter(capacity: 160)
        EventJSON.write(outcome, into: &writer)
        var headers: HTTPFields = [.contentType: "application/json", .eTag: "\"\(outcome.lastSeq)\""]
        let branch = stream.branch == .main ? "" : "&branch=\(stream.branch)"
        headers[.location] = "/v1/objects/\(stream.object.type)/\(stream.object.id)/events?from=\(outcome.firstSeq)\(branch)"
        if outcome.isReplay { headers[RequestParsing.idempotentReplayed] = "true" }
        return Response(status: outcome.isDuplicate ? .ok : .created, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// A page of one object's events from `from` (default: the first one retention kept), at
    /// most `limit`.
    private func read(_ request: Request, _ context: Context) throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        // 0: the first event kept (seq 1 unless retention compacted some).
        let from = try RequestParsing.integer("from", request, default: 0, range: 1...Int64.max)
        let limit = try RequestParsing.integer(
            "limit", request, default: Int64(configuration.pageLimitDefault), range: 1...Int64(configuration.pageLimitMax))
        // With ?asOf= or ?at=, only the events up to that point: a prefix of the stream.
        let point = try RequestParsing.historyPoint(request)
        var through = Seq.max
        if point != .head {
            do { through = try store.seq(of: stream, at: point) } catch { throw Problem(error) }
        }
        let start = UInt64(max(from, 1))
        let limitThrough = start > through ? 0 : Int(min(UInt64(limit), through - start + 1))
        var writer = JSONWriter(capacity: 4096)
        writer.ascii("{\"object\":")
        writer.string(stream.object.description)
        writer.ascii(",\"branch\":")
        writer.string(stream.branch.name)
        writer.ascii(",\"events\":[")
        var first = true
        let page: StreamPage?
        do {
            page = try store.readStream(stream, from: UInt64(from), limit: limitThrough, bytesMax: configuration.pageBytesMax) { event in
                if !first { writer.byte(UInt8(ascii: ",")) }
                first = false
                EventJSON.write(event, into: &writer)
            }
        } catch {
            throw Problem(error)
        }
        guard let page else { throw Problem.objectNotFound(stream) }
        writer.ascii("],\"version\":")
        writer.integer(page.version)
        writer.ascii(",\"next\":")
        if let next = page.next, next <= through { writer.integer(next) } else { writer.ascii("null") }
        writer.byte(UInt8(ascii: "}"))
        return Response(
            status: .ok, headers: [.contentType: "application/json", .eTag: "\"\(page.version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}

extension Problem {
    /// 404 for an object type with no schema file, when undeclared types are refused.
    static func undeclaredType(_ type: ObjectType, _ schemas: SchemaCatalog) -> Problem {
        let known = schemas.types.keys.sorted().joined(separator: ", ")
        return Problem(
            .notFound, type: .unknownObjectType, detail: "no schema declares the object type \(type); declared: \(known.isEmpty ? "none" : known) (add Schemas/\(type).schema.json, or start the server with --allow-undeclared)",
            extensions: [Problem.string("field", "type")])
    }

    /// 422 listing every event that does not match its schema.
    static func schemaViolations(_ violations: [EventViolation]) -> Problem {
        var list = JSONWriter()
        list.byte(UInt8(ascii: "["))
        for (index, violation) in violations.enumerated() {
            if index > 0 { list.byte(UInt8(ascii: ",")) }
            list.ascii("{\"event\":")
            list.integer(violation.event)
            list.ascii(",\"pointer\":")
            list.string(violation.pointer)
            list.ascii(",\"keyword\":")
            list.string(violation.keyword)
            list.ascii(",\"message\":")
            list.string(violation.message)
            list.byte(UInt8(ascii: "}"))
        }
        list.byte(UInt8(ascii: "]"))
        let first = violations[0]
        return Problem(
            .unprocessableContent, type: .schemaViolation, detail: "\(violations.count) violation\(violations.count == 1 ? "" : "s"), first: \(first.pointer) \(first.message); nothing was written",
            extensions: [Problem.string("field", first.pointer), ("errors", list.bytes)])
    }

    /// The 400 or 413 for a body the parser refused.
    init(_ error: AppendRequestError) {
        switch error {
        case .malformedJSON(let syntax):
            self.init(
                .badRequest, type: .malformedJSON, detail: syntax.description,
                extensions: [Problem.string("field", ""), Problem.number("offset", UInt64(syntax.offset))])
        case .invalidField(let pointer, let reason):
            self = .invalidField(pointer, reason)
        case .tooLarge(let field, let limit, let actual):
            self.init(EventStoreError.requestTooLarge(field: field, limit: limit, actual: actual))
        }
    }
}
