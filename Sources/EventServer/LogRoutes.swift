import EventModel
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/log` (a JSON page of the global log) and `GET /v1/log/stream` (Server-Sent Events).
struct LogRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration
    let streams: LogStreamHub
    let metrics: ServerMetrics

    /// Events read per LMDB transaction and written to the socket in one write.
    static var streamPageEvents: Int { 512 }

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/log") { request, context in try page(request, tenant: context.tenant) }
        router.get("/v1/log/stream") { request, context in
            try stream(request, tenant: context.tenant, expiry: context.credentialExpiry, channel: context.channel)
        }
    }

    /// `{"events": [...], "next": P, "head": H}`: `tenant`'s events after `after`, among the
    /// next `limit` positions; `next` is the `after` to ask for next, `head` the last committed
    /// position. Positions are the store's: those of other tenants' events are missing.
    private func page(_ request: Request, tenant: Tenant) throws -> Response {
        let after = try RequestParsing.integer("after", request, default: 0, range: 0...Int64.max)
        let limit = try RequestParsing.integer(
            "limit", request, default: Int64(configuration.pageLimitDefault), range: 1...Int64(configuration.pageLimitMax))
        var writer = JSONWriter(capacity: 8192)
        writer.ascii("{\"events\":[")
        var first = true
        let head = store.commits.committedPosition
        let page: LogPage
        do {
            page = try store.readLog(after: UInt64(after), limit: Int(limit), bytesMax: configuration.pageBytesMax) { event, name in
                guard tenant.owns(name.tenant) else { return }
                if !first { writer.byte(UInt8(ascii: ",")) }
                first = false
                EventJSON.write(event, name: name, into: &writer)
            }
        } catch {
            throw Problem(error)
        }
        writer.ascii("],\"next\":")
        writer.integer(page.lastPosition)
        writer.ascii(",\"head\":")
        writer.integer(max(head, page.lastPosition))
        writer.byte(UInt8(ascii: "}"))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// The filter a log stream's query asks for: `?objectType=`, `?eventType=`, `?branch=`,
    /// `?object=TYPE/ID` and `?objectPrefix=TYPE/START` (each repeatable), checked as a
    /// consumer's are; 400 `invalid-query` naming the parameter.
    static func filter(_ request: Request) throws -> ConsumerFilter {
        let parameters = request.uri.queryParameters
        var json: [String: JSONValue] = [:]
        for (parameter, member) in [("objectType", "objectTypes"), ("eventType", "eventTypes"), ("branch", "branches"), ("object", "objects"), ("objectPrefix", "objectPrefixes")] {
            let values = parameters.getAll(parameter).map { JSONValue.string(String($0)) }
            if !values.isEmpty { json[member] = .array(values) }
        }
        do throws(ConsumerFilterError) { return try ConsumerFilter(json: .object(json)) } catch {
            let parameter = ["objectTypes": "objectType", "eventTypes": "eventType", "branches": "branch", "objects": "object", "objectPrefixes": "objectPrefix"][
                String(error.member.prefix { $0 != "/" })] ?? error.member
            throw Problem.invalidField(parameter, error.reason, type: .invalidQuery)
        }
    }

    /// Every event after `after` (or the `Last-Event-ID` a reconnecting client sends), then each
    /// new one as it commits; a heartbeat comment while idle. Ends when the server shuts down.
    /// `?format=cloudevents` frames CloudEvents; `?objectType=`, `?eventType=`, `?branch=`,
    /// `?object=` and `?objectPrefix=` (each repeatable) keep only those.
    private func stream(_ request: Request, tenant: Tenant, expiry: CredentialExpiry, channel: any Channel) throws -> Response {
        let cloudEvents: Bool
        switch request.uri.queryParameters.get("format") {
        case nil, "evlog": cloudEvents = false
        case "cloudevents": cloudEvents = true
        case let other: throw Problem.invalidField("format", "is \(other ?? ""); formats are evlog and cloudevents")
        }
        let filter = try Self.filter(request).within(tenant)
        let start = try RequestParsing.resumePoint(request, unit: "position") ?? 0
        let store = store
        let streams = streams
        let metrics = metrics
        let heartbeat = Duration.seconds(configuration.heartbeatSeconds)
        let pageBytesMax = configuration.pageBytesMax
        let stall = Duration.seconds(configuration.stalledWriteSeconds)
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { (body: inout any ResponseBodyWriter) in
          try await streams.subscribe(.log(filter), store: store, onStall: { channel.close(promise: nil) }) { subscriber in
            var writer = WatchedBodyWriter(base: body, subscriber: subscriber, timeout: stall)
            metrics.logReaders.increment()
            defer { metrics.logReaders.decrement() }
            var position = start
            var frame = ServerSentEventWriter()
            try await writer.write(ByteBuffer(string: ": evlog log stream after \(position)\n\n"))
            while !streams.isClosing && !Task.isCancelled {
                if expiry.hasPassed {
                    try await writer.write(ByteBuffer(string: CredentialExpiry.streamEnd))
                    break
                }
                frame.reset()
                let page: LogPage
                do {
                    page = try store.readLog(after: position, limit: Self.streamPageEvents, bytesMax: pageBytesMax) { event, name in
                        guard filter.matches(type: event.type, name: name) else { return }
                        frame.append(event, name: name, cloudEvent: cloudEvents)
                    }
                } catch EventStoreError.closed {
                    break
                } catch {
                    try await writer.write(ByteBuffer(string: "event: error\ndata: \(String(describing: error))\n\n"))
                    break
                }
                if page.count > 0 {
                    position = page.lastPosition
                    if !frame.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: frame.bytes)) }
                    continue
                }
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

/// Frames events as Server-Sent Events: `id:` the position, `event:` the type, `data:` the
/// event as one line of JSON (with `object` and `branch`).
struct ServerSentEventWriter {
    private var json = JSONWriter(capacity: 64 * 1024)

    var bytes: [UInt8] { json.bytes }

    mutating func reset() { json.bytes.removeAll(keepingCapacity: true) }

    /// Frames `event`; `cloudEvent` writes its data as a CloudEvent (``CloudEventJSON``).
    mutating func append(_ event: StoredEvent, name: StoredStreamName, cloudEvent: Bool = false) {
        json.ascii("id: ")
        json.integer(event.position)
        json.ascii("\nevent: ")
        json.raw(event.type)
        json.ascii("\ndata: ")
        // Compact JSON holds no raw newline (they are escaped in strings), so one data line.
        if cloudEvent { CloudEventJSON.write(event, name: name, into: &json) } else { EventJSON.write(event, name: name, into: &json) }
        json.ascii("\n\n")
    }
}
