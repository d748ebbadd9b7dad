import EventModel
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/objects/{type}/{id}/stream`: one object's events as Server-Sent Events, read from
/// its own stream (never a scan of the global log), then each new one as it commits. And the
/// answer to `GET /v1/objects/{type}/{id}/ws` when it is not upgraded (``ObjectSocket``): 410
/// for an erased object (the object routes' check), else 404 saying what a socket needs.
struct ObjectStreamRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration
    let streams: LogStreamHub

    /// Events read per LMDB transaction and written to the socket in one write.
    static var pageEvents: Int { 512 }

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/objects/:type/:id/stream") { request, context in try stream(request, context) }
        // Reached only when not upgraded: 410 for an erased object (the object routes' check), else 404 (no socket here).
        router.get("/v1/objects/:type/:id/ws") { request, context -> Response in
            let stream = try RequestParsing.stream(request, context)
            throw Problem(
                .notFound, type: .notFound,
                detail: "\(stream.object) has no WebSocket to give this request: connect with Upgrade: websocket, to an object of a type with views (\(store.objectTypes.filter { !$0.value.views.isEmpty }.keys.sorted().joined(separator: ", "))), naming views it has and a branch that exists")
        }
    }

    /// The events of the object (on `?branch=`) after seq `?after=` (or the `Last-Event-ID` a
    /// reconnecting client sends; default 0, from its first), each as `id:` its seq, `event:`
    /// its type, `data:` the event; then each new one as it commits, with heartbeats while idle.
    /// `?view=NAME` adds, after every batch of events written together (one commit, or a page
    /// of up to 512 while catching up), `event: view` with `{"view", "version", "state"}` as of
    /// the last of them. An object with no events yet on main is waited for; a branch that does
    /// not exist is 404.
    private func stream(_ request: Request, _ context: Context) throws -> Response {
        let stream = try RequestParsing.stream(request, context)
        var view: AnyProjection?
        if let name = request.uri.queryParameters.get("view").map({ String($0) }) {
            let definition = store.objectTypes[stream.object.type.name]
            guard let found = definition?.views.first(where: { $0.name == name }) else {
                throw Problem.viewNotFound(name, of: stream.object.type, views: definition?.views.map(\.name) ?? [])
            }
            view = found
        }
        let after = try RequestParsing.resumePoint(request, unit: "seq") ?? 0
        if stream.branch != .main {
            do {
                guard try store.readStream(stream, from: 0, limit: 0, { _ in }) != nil else { throw Problem(EventStoreError.branchNotFound(stream)) }
            } catch let error as EventStoreError {
                throw Problem(error)
            }
        }
        let (start, followed) = (after, view)
        let expiry = context.credentialExpiry
        let store = store
        let streams = streams
        let heartbeat = Duration.seconds(configuration.heartbeatSeconds)
        let pageBytesMax = configuration.pageBytesMax
        let stall = Duration.seconds(configuration.stalledWriteSeconds)
        let channel = context.channel
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { (body: inout any ResponseBodyWriter) in
          try await streams.subscribe(.stream(stream), store: store, onStall: { channel.close(promise: nil) }) { subscriber in
            var writer = WatchedBodyWriter(base: body, subscriber: subscriber, timeout: stall)
            var seq = start
            var frame = JSONWriter(capacity: 4 * 1024)
            try await writer.write(ByteBuffer(string: ": evlog stream of \(stream) after seq \(seq)\n\n"))
            while !streams.isClosing && !Task.isCancelled {
                if expiry.hasPassed {
                    try await writer.write(ByteBuffer(string: CredentialExpiry.streamEnd))
                    break
                }
                frame.bytes.removeAll(keepingCapacity: true)
                var last: Seq?
                do {
                    _ = try store.readStream(stream, from: seq == 0 ? 0 : seq + 1, limit: Self.pageEvents, bytesMax: pageBytesMax) { event in
                        frame.ascii("id: ")
                        frame.integer(event.seq)
                        frame.ascii("\nevent: ")
                        frame.raw(event.type)
                        frame.ascii("\ndata: ")
                        EventJSON.write(event, into: &frame)
                        frame.ascii("\n\n")
                        last = event.seq
                    }
                    if let last, let view = followed {
                        let answer = try store.answer(.state, of: view, for: stream, at: .seq(last))
                        frame.ascii("event: view\ndata: ")
                        frame.raw(answer.json)
                        frame.ascii("\n\n")
                    }
                } catch EventStoreError.closed {
                    break
                } catch ViewAnswerError.store(.closed) {
                    break
                } catch {
                    try await writer.write(ByteBuffer(string: "event: error\ndata: \(String(describing: error))\n\n"))
                    break
                }
                if let last {
                    seq = last
                    try await writer.write(ByteBuffer(bytes: frame.bytes))
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
