import EventModel
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/consumers`: named readers of the global log with their positions kept in the store.
///
/// - `PUT /v1/consumers/{name} {"filters": {"objectTypes", "eventTypes", "branches"}, "start"}`
///   → 201 (created) or 200 (filters replaced; the position moves only with `start`);
/// - `GET /v1/consumers` and `GET /v1/consumers/{name}` → each with its `position` and `lag`;
/// - `DELETE /v1/consumers/{name}` → 204;
/// - `GET /v1/consumers/{name}/events?limit=&wait=&include=view:NAME` → CloudEvents after the
///   acknowledged position, waiting up to `wait` ms for one; `next` is the position to ack;
/// - `POST /v1/consumers/{name}/ack {"position"}`;
/// - `GET /v1/consumers/{name}/stream` → the same as Server-Sent Events, from the acknowledged
///   position (or a later `Last-Event-ID`).
struct ConsumerRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration
    let streams: LogStreamHub

    /// The longest a long poll waits, in ms.
    static var waitMax: Int64 { 60_000 }

    func register(on router: some RouterMethods<Context>) {
        router.put("/v1/consumers/:name") { request, context in try await put(request, context) }
        router.get("/v1/consumers") { _, context in try list(context) }
        router.get("/v1/consumers/:name") { _, context in try one(context) }
        router.delete("/v1/consumers/:name") { _, context in try await delete(context) }
        router.get("/v1/consumers/:name/events") { request, context in try await events(request, context) }
        router.post("/v1/consumers/:name/ack") { request, context in try await ack(request, context) }
        router.get("/v1/consumers/:name/stream") { request, context in try stream(request, context) }
    }

    private func name(_ context: Context) throws -> String {
        let name = context.parameters.get("name") ?? ""
        guard Consumer.isValidName(name) else { throw Problem.invalidField("name", "must be 1-64 characters of a-z, 0-9, '_' and '-'") }
        return name
    }

    private func json(_ consumer: Consumer) -> JSONValue {
        guard case .object(var members) = consumer.json else { return consumer.json }
        let head = store.commits.committedPosition
        members["lag"] = .number(Double(head - min(head, consumer.position)))
        return .object(members)
    }

    private func respond(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(value.jsonText.utf8))))
    }

    private func put(_ request: Request, _ context: Context) async throws -> Response {
        let name = try name(context)
        let body = try await RequestParsing.jsonObject(request, store: store, members: ["filters", "start"])
        var filter = ConsumerFilter()
        if let value = body["filters"] {
            do throws(ConsumerFilterError) { filter = try ConsumerFilter(json: value) } catch {
                throw Problem.invalidField(error.member.isEmpty ? "/filters" : "/filters/\(error.member)", error.reason)
            }
        }
        var start: ConsumerStart?
        switch body["start"] {
        case nil: start = nil
        case .string("earliest"): start = .earliest
        case .string("latest"): start = .latest
        case .some(let value) where value.integerValue.map { $0 >= 0 } == true: start = .position(Position(value.integerValue!))
        default: throw Problem.invalidField("/start", "must be \"earliest\", \"latest\" or a position")
        }
        try configuration.quotas?.admitConsumer(name, tenant: context.tenant, store: store)
        let result: (consumer: Consumer, created: Bool)
        do { result = try await store.putConsumer(name, tenant: context.tenant, filter: filter, start: start) } catch { throw Problem(error) }
        return respond(result.created ? .created : .ok, json(result.consumer))
    }

    private func list(_ context: Context) throws -> Response {
        let consumers: [Consumer]
        do { consumers = try store.consumers(tenant: context.tenant) } catch { throw Problem(error) }
        return respond(.ok, ["consumers": .array(consumers.map(json))])
    }

    private func one(_ context: Context) throws -> Response {
        let name = try name(context)
        let consumer: Consumer?
        do { consumer = try store.consumer(name, tenant: context.tenant) } catch { throw Problem(error) }
        guard let consumer else { throw Problem(EventStoreError.consumerNotFound(name)) }
        return respond(.ok, json(consumer))
    }

    private func delete(_ context: Context) async throws -> Response {
        let name = try name(context)
        do { try await store.deleteConsumer(name, tenant: context.tenant) } catch { throw Problem(error) }
        return Response(status: .noContent)
    }

    private func ack(_ request: Request, _ context: Context) async throws -> Response {
        let name = try name(context)
        let body = try await RequestParsing.jsonObject(request, store: store, members: ["position"])
        guard let position = body["position"]?.integerValue, position >= 0 else {
            throw Problem.invalidField("/position", "is required: the position of the last event handled (a page's next)")
        }
        let consumer: Consumer
        do { consumer = try await store.ack(name, tenant: context.tenant, position: Position(position)) } catch { throw Problem(error) }
        return respond(.ok, json(consumer))
    }

    /// `{"consumer", "events": [CloudEvents], "next", "head", "lag"}`.
    private func events(_ request: Request, _ context: Context) async throws -> Response {
        let name = try name(context)
        let limit = Int(try RequestParsing.integer("limit", request, default: Int64(configuration.pageLimitDefault), range: 1...Int64(configuration.pageLimitMax)))
        let wait = try RequestParsing.integer("wait", request, default: 0, range: 0...Self.waitMax)
        let after = try request.uri.queryParameters.get("after").map { _ in try RequestParsing.integer("after", request, default: 0, range: 0...Int64.max) }
        let include = try includedView(request)
        let deadline = ContinuousClock.now + .milliseconds(wait)
        var scanFrom = after.map { Position($0) }
        // Woken by the commits its filter passes (as they are when the poll starts).
        let filter = (try? store.consumer(name, tenant: context.tenant))??.filter ?? ConsumerFilter().within(context.tenant)
        return try await streams.subscribe(.log(filter), store: store) { subscriber in
        while true {
            var frames: [(event: [UInt8], stream: StreamName?, seq: Seq)] = []
            let page: ConsumerPage?
            do {
                page = try store.readConsumer(name, tenant: context.tenant, after: scanFrom, limit: limit, bytesMax: configuration.pageBytesMax) { event, streamName in
                    var writer = JSONWriter(capacity: 256 + event.data.count)
                    CloudEventJSON.write(event, name: streamName, into: &writer)
                    // With include=, the view is added once the page is read (outside its transaction).
                    frames.append((writer.bytes, include == nil ? nil : Self.streamName(streamName), event.seq))
                }
            } catch let error as EventStoreError {
                throw Problem(error)
            }
            guard let page else { throw Problem(EventStoreError.consumerNotFound(name)) }
            let now = ContinuousClock.now
            if frames.isEmpty, now < deadline, !streams.isClosing {
                // Nothing matched: go on from where the scan stopped, waiting only at the head.
                scanFrom = page.next
                if page.next < page.head { continue }
                if await subscriber.wait(timeout: deadline - now) {
                    // A commit for it, or the server is stopping: then this empty page is the answer.
                    if !streams.isClosing { continue }
                } else {
                    // No commit for this filter came while it waited: what the hub followed
                    // since is passed over unread (unless the filter changed meanwhile).
                    let followed = streams.followedPosition
                    if !subscriber.takeSignal(), (try? store.consumer(name, tenant: context.tenant))??.filter == filter {
                        scanFrom = max(page.next, followed)
                    }
                    continue
                }
            }
            var writer = JSONWriter(capacity: 1024 + frames.reduce(0) { $0 + $1.event.count })
            writer.ascii("{\"consumer\":")
            writer.string(name)
            writer.ascii(",\"events\":[")
            for (index, frame) in frames.enumerated() {
                if index > 0 { writer.byte(UInt8(ascii: ",")) }
                if let include, let stream = frame.stream {
                    writer.bytes.append(contentsOf: frame.event.dropLast())
                    try appendView(include, of: stream, at: frame.seq, into: &writer)
                } else {
                    writer.bytes.append(contentsOf: frame.event)
                }
            }
            writer.ascii("],\"next\":")
            writer.integer(page.next)
            writer.ascii(",\"head\":")
            writer.integer(page.head)
            writer.ascii(",\"lag\":")
            writer.integer(page.head - min(page.head, page.next))
            writer.byte(UInt8(ascii: "}"))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
        }
        }
    }

    /// `?include=view:NAME`: the view to add to each event, by name (404 `view-not-found` when no
    /// type has it).
    private func includedView(_ request: Request) throws -> String? {
        guard let include = request.uri.queryParameters.get("include") else { return nil }
        guard include.hasPrefix("view:"), include.count > 5 else {
            throw Problem.invalidField("include", "must be view:NAME, e.g. view:stock")
        }
        let name = String(include.dropFirst(5))
        guard store.objectTypes.values.contains(where: { $0.views.contains { $0.name == name } }) else {
            let views = Set(store.objectTypes.values.flatMap { $0.views.map(\.name) }).sorted()
            throw Problem(
                .notFound, type: .viewNotFound, detail: "no object type has a view \(name); views: \(views.joined(separator: ", "))",
                extensions: [Problem.string("field", "include")])
        }
        return name
    }

    /// `,"view":{"name","state"}}`: the object's view after the event, closing the envelope;
    /// `"view":null` for an object type without that view.
    private func appendView(_ name: String, of stream: StreamName, at seq: Seq, into writer: inout JSONWriter) throws {
        writer.ascii(",\"view\":")
        guard let view = store.objectTypes[stream.object.type.name]?.views.first(where: { $0.name == name }) else {
            writer.ascii("null}")
            return
        }
        let read: ViewRead?
        do { read = try store.readView(view, of: stream, at: .seq(seq)) } catch { throw Problem(error) }
        writer.ascii("{\"name\":")
        writer.string(name)
        writer.ascii(",\"state\":")
        if let read { writer.bytes.append(contentsOf: read.state) } else { writer.ascii("null") }
        writer.ascii("}}")
    }

    private static func streamName(_ name: StoredStreamName) -> StreamName? {
        guard let object = name.objectKey,
            let branch = try? BranchName(String(decoding: name.branch, as: UTF8.self))
        else { return nil }
        return StreamName(object: object, branch: branch)
    }

    /// CloudEvents as Server-Sent Events from the consumer's position (or a later
    /// `Last-Event-ID`); the client acknowledges with `POST .../ack`.
    private func stream(_ request: Request, _ context: Context) throws -> Response {
        let name = try name(context)
        guard let consumer = (try? store.consumer(name, tenant: context.tenant)) ?? nil else { throw Problem(EventStoreError.consumerNotFound(name)) }
        let after: Position? = try RequestParsing.resumePoint(request, unit: "position", takesAfter: false, default: nil)
        let store = store
        let streams = streams
        let resumeAfter = after
        let tenant = context.tenant
        let expiry = context.credentialExpiry
        let heartbeat = Duration.seconds(configuration.heartbeatSeconds)
        let pageBytesMax = configuration.pageBytesMax
        let stall = Duration.seconds(configuration.stalledWriteSeconds)
        let channel = context.channel
        let filter = consumer.filter
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { (body: inout any ResponseBodyWriter) in
          // Filters replaced while it runs are read on each page; the wake-ups follow the first.
          try await streams.subscribe(.log(filter), store: store, onStall: { channel.close(promise: nil) }) { subscriber in
            var writer = WatchedBodyWriter(base: body, subscriber: subscriber, timeout: stall)
            var frame = ServerSentEventWriter()
            var position = resumeAfter
            try await writer.write(ByteBuffer(string: ": evlog consumer \(name)\n\n"))
            while !streams.isClosing && !Task.isCancelled {
                if expiry.hasPassed {
                    try await writer.write(ByteBuffer(string: CredentialExpiry.streamEnd))
                    break
                }
                frame.reset()
                let page: ConsumerPage?
                do {
                    page = try store.readConsumer(name, tenant: tenant, after: position, limit: LogRoutes<Context>.streamPageEvents, bytesMax: pageBytesMax) { event, streamName in
                        frame.append(event, name: streamName, cloudEvent: true)
                    }
                } catch EventStoreError.closed {
                    break
                } catch {
                    try await writer.write(ByteBuffer(string: "event: error\ndata: \(String(describing: error))\n\n"))
                    break
                }
                guard let page else {
                    try await writer.write(ByteBuffer(string: "event: error\ndata: the consumer was deleted\n\n"))
                    break
                }
                position = page.next
                if page.delivered > 0 {
                    try await writer.write(ByteBuffer(bytes: frame.bytes))
                    continue
                }
                if page.next < page.head { continue }
                if await !subscriber.wait(timeout: expiry.bounded(heartbeat)), !expiry.hasPassed {
                    try await writer.write(WatchedBodyWriter.heartbeat)
                    streams.sentHeartbeat()
                }
            }
            try await writer.finish(nil)
          }
        })
    }
}
