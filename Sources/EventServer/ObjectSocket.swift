import Access
import EventModel
import EventStore
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// `GET /v1/objects/{type}/{id}/ws`: one object, live.
///
/// On connect the socket receives `{"type": "snapshot", "version"}`; then, after every commit
/// that touches the object, `{"type": "events", "events": [...], "version"}`. A socket that
/// connects with `?views=stock,...` also gets those views' states in both, as `"views": {name:
/// state}`. It accepts commands as `{"id": "c1", "command": "reserve", "body": {...}}` (with
/// `"include": ["state"]` for the decider's view after it) and reads of a view's part as
/// `{"id": "q1", "view": "stock", "pointer": "/available"}`, and answers each on the same
/// socket: `{"type": "reply", "id": "c1", "ok": true, "events", "version", "state"?}`,
/// `{"type": "reply", "id": "q1", "ok": true, "view", "version", "value"}`, or `{"type":
/// "reply", "id", "ok": false, "problem": {...}}`. Many sockets per object. A socket catching up reads the store in its own task (the writer
/// never waits for a socket), woken only by the commits of its object branch (``LogStreamHub``);
/// once caught up, its object branch's ``SocketFanout`` writes it each commit, read once for all
/// its sockets. One that does not take a message within ``writeTimeout`` is disconnected (its peer stopped
/// reading: a close frame could not reach it). A message may be as large as a command body
/// (``messageBytesMax``, in one frame or several); a larger one is closed with 1009, a binary
/// one with 1003, text that is not UTF-8 with 1007: none is executed.
struct ObjectSocket {
    let store: EventStore
    let stream: StreamName
    let definition: ObjectTypeDefinition
    /// The views whose states every snapshot and events message carries.
    let subscribed: [AnyProjection]
    let streams: LogStreamHub
    /// Who connected: its commands need the `command` scope.
    let principal: Principal
    /// The tenants' quotas a command over the socket counts against, as over HTTP.
    var quotas: TenantQuotas? = nil
    /// The connection, closed when the peer stops reading.
    let channel: any Channel
    /// The other sockets on the object branch: one read per commit for all, written to those caught up by one task.
    let fanout: SocketFanout
    /// Where the delay from commit to socket is recorded.
    let metrics: ServerMetrics
    let logger: Logger

    /// How long one message may take to be written before the socket is dropped.
    var writeTimeout: Duration = .seconds(10)
    /// The largest command message accepted, in bytes: a command body's limit over HTTP.
    static let messageBytesMax = 1 << 20

    /// Frames up to a whole message, UTF-8 checked.
    static var configuration: WebSocketServerConfiguration {
        WebSocketServerConfiguration(maxFrameSize: messageBytesMax, validateUTF8: true)
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (channel, logger, stream) = (channel, logger, stream)
        let key = SocketFanout.Key(stream: stream, views: subscribed.map(\.name))
        let reader = SocketMessageReader(store: store, stream: stream, views: subscribed)
        try await streams.subscribe(.stream(stream), store: store, onStall: {
            logger.notice("disconnecting a WebSocket that stopped reading", metadata: ["object": "\(stream.object)"])
            channel.close(promise: nil)
        }) { subscriber in
            let member = SocketFanout.Member(channel: channel, subscriber: subscriber)
            fanout.join(key, member, reader: reader)
            defer { fanout.leave(key, member) }
            try await run(inbound: inbound, outbound: outbound, member: member, key: key, reader: reader)
        }
    }

    private func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, member: SocketFanout.Member, key: SocketFanout.Key,
        reader: SocketMessageReader
    ) async throws {
        let subscriber = member.subscriber
        let connectedVersion = try store.version(of: stream)
        try await send(reader.encode(type: "snapshot", version: connectedVersion, events: []), outbound, subscriber)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await answerCommands(inbound: inbound, outbound: outbound, subscriber: subscriber) }
            group.addTask {
                var version = connectedVersion
                let expiry = CredentialExpiry(principal)
                while !Task.isCancelled && !streams.isClosing {
                    if !channel.isWritable {
                        // A message sent is still queued (its peer is slow to read, or stopped):
                        // a ping goes out after it, within the write timeout or the socket is closed.
                        try await subscriber.write(timeout: writeTimeout) {
                            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())))
                        }
                    }
                    if expiry.hasPassed {
                        await fanout.release(member)
                        try await outbound.close(.policyViolation, reason: "token expired: reconnect with a new one")
                        return
                    }
                    switch member.state {
                    case .held:
                        // The fan-out writes its messages; it lets it go to be woken here.
                        _ = await subscriber.wait(timeout: expiry.bounded(.seconds(30)))
                        continue
                    case .free(let resumeAt):
                        if let resumeAt { version = resumeAt }
                    }
                    // Another socket on the object may have read these events: its frame is sent as it is.
                    var message = fanout.message(key, after: version)
                    if message == nil {
                        switch try reader.events(after: version) {
                        case .message(let read):
                            fanout.keep(read, for: key)
                            message = read
                        case .upToDate:
                            break
                        case .branchDeleted:
                            // Nothing more will come.
                            try await outbound.close(.normalClosure, reason: "branch deleted")
                            return
                        case .erased(let erasedAt):
                            try await outbound.close(.normalClosure, reason: "object erased at \(erasedAt) ms since the epoch")
                            return
                        }
                    }
                    if let message {
                        version = message.version
                        try await send(message.payload, outbound, subscriber)
                        let delay = metrics.sinceCommit(position: message.newestPosition, committedMilliseconds: message.newestMilliseconds, commits: store.commits)
                        metrics.socketsDelivered(CollectionOfOne(delay), by: .socket)
                        if message.hasMore { continue }
                    }
                    // Caught up (as far as it knows): the fan-out writes the next ones.
                    if await fanout.hold(key, member, at: version) { continue }
                    _ = await subscriber.wait(timeout: expiry.bounded(.seconds(30)))
                }
                await fanout.release(member)
                // Cancelled (the peer's messages ended the socket): the close is theirs to send.
                if streams.isClosing { try await outbound.close(.goingAway, reason: "server shutting down") }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// The views `?views=` names (a comma-separated list), or nil when it names one the type
    /// does not have.
    static func subscribed(_ query: Substring?, of definition: ObjectTypeDefinition) -> [AnyProjection]? {
        guard let query, !query.isEmpty else { return [] }
        var views: [AnyProjection] = []
        for name in query.split(separator: ",", omittingEmptySubsequences: false) {
            guard let view = definition.views.first(where: { $0.name == name }) else { return nil }
            views.append(view)
        }
        return views
    }

    private func answerCommands(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, subscriber: Subscriber) async throws {
        do {
            for try await message in inbound.messages(maxSize: Self.messageBytesMax) {
                guard case .text(let text) = message else {
                    try await outbound.close(.unacceptableData, reason: "binary messages are not taken: send commands as JSON text")
                    return
                }
                try await send(await reply(to: text), outbound, subscriber)
            }
        } catch NIOWebSocketError.invalidFrameLength {
            // One frame over the limit (several frames over it are closed with 1009 by the stream).
            try await outbound.close(.messageTooLarge, reason: "a message is at most \(Self.messageBytesMax) bytes")
        }
    }

    /// The reply to one message: a command, or a read of a view's part.
    private func reply(to text: String) async -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.ascii("{\"type\":\"reply\",\"id\":")
        let message = try? JSONValue(parsing: text)
        if let message, let view = message["view"]?.stringValue {
            writer.value(message["id"] ?? .null)
            read(view, at: message["pointer"]?.stringValue ?? "", into: &writer)
            writer.byte(UInt8(ascii: "}"))
            return writer.bytes
        }
        guard let message, let name = message["command"]?.stringValue else {
            writer.value(.null)
            writer.ascii(",\"ok\":false,\"problem\":")
            writer.bytes.append(
                contentsOf: Problem.invalidField(
                    "", "must be {\"id\": \"...\", \"command\": \"name\", \"body\": {...}} or {\"id\": \"...\", \"view\": \"name\", \"pointer\": \"/...\"}"
                ).body)
            writer.byte(UInt8(ascii: "}"))
            return writer.bytes
        }
        writer.value(message["id"] ?? .null)
        do throws(Problem) {
            try RouteAccess.scope(.command).check(principal)
            try quotas?.admitObject(stream.object, store: store)
            try quotas?.admitBytes(tenant: stream.object.tenant, store: store)
            try quotas?.take(events: 1, tenant: stream.object.tenant)
        } catch {
            writer.ascii(",\"ok\":false,\"problem\":")
            writer.bytes.append(contentsOf: error.body)
            writer.byte(UInt8(ascii: "}"))
            return writer.bytes
        }
        guard definition.commands[name] != nil else {
            writer.ascii(",\"ok\":false,\"problem\":")
            writer.bytes.append(
                contentsOf: Problem(
                    .notFound, type: .commandNotFound, detail: "\(stream.object.type) has no command \(name)", extensions: [Problem.string("field", "command")]
                ).body)
            writer.byte(UInt8(ascii: "}"))
            return writer.bytes
        }
        do {
            let includeState = (message["include"]?.arrayValue ?? []).contains(.string("state"))
            let outcome = try await store.run(CommandRequest(stream: stream, command: name, body: message["body"] ?? [:], includeState: includeState))
            writer.ascii(",\"ok\":true,\"version\":")
            writer.integer(outcome.version)
            writer.ascii(",\"events\":")
            EventJSON.writeDecided(outcome, into: &writer)
            if includeState {
                writer.ascii(",\"state\":")
                if let state = outcome.state { writer.raw(state) } else { writer.ascii("null") }
            }
        } catch {
            writer.ascii(",\"ok\":false,\"problem\":")
            writer.bytes.append(contentsOf: Problem(error).body)
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Writes the rest of a reply to a read of `pointer` (RFC 6901) in the view `name` at the head.
    private func read(_ name: String, at pointer: String, into writer: inout JSONWriter) {
        do {
            guard let view = definition.views.first(where: { $0.name == name }) else {
                throw Problem.viewNotFound(name, of: stream.object.type, views: definition.views.map(\.name))
            }
            let part: (version: Seq, value: JSONValue)
            do { part = try store.viewPart(view, of: stream, pointer: pointer) } catch { throw Problem(error) }
            writer.ascii(",\"ok\":true,\"view\":")
            writer.string(name)
            writer.ascii(",\"version\":")
            writer.integer(part.version)
            writer.ascii(",\"value\":")
            writer.value(part.value)
        } catch {
            writer.ascii(",\"ok\":false,\"problem\":")
            let problem = switch error {
            case let problem as Problem: problem
            case let error as EventStoreError: Problem(error)
            default: Problem(.internalServerError, type: .internalError, detail: "\(error)")
            }
            writer.bytes.append(contentsOf: problem.body)
        }
    }

    /// Writes one text message (JSON, so UTF-8); the hub disconnects the socket if it takes
    /// longer than ``writeTimeout``.
    private func send(_ bytes: [UInt8], _ outbound: WebSocketOutboundWriter, _ subscriber: Subscriber) async throws {
        try await send(ByteBuffer(bytes: bytes), outbound, subscriber)
    }

    /// Writes one text message from its bytes, which may be shared with other sockets.
    private func send(_ payload: ByteBuffer, _ outbound: WebSocketOutboundWriter, _ subscriber: Subscriber) async throws {
        try await subscriber.write(timeout: writeTimeout) { try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: payload))) }
    }
}
