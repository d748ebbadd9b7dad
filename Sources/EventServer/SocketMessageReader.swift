import EventModel
import EventStore
import NIOCore

/// Reads and encodes the messages of the WebSockets on one object branch with the same views:
/// `{"type", "version", "events": [...]?, "views": {...}?}`. Both a socket catching up and the
/// ``SocketFanout`` that writes each commit to the sockets already caught up read through it,
/// so their messages are the same bytes.
struct SocketMessageReader: Sendable {
    let store: EventStore
    let stream: StreamName
    /// The views whose states every message carries.
    let views: [AnyProjection]

    /// What there is after a version.
    enum Read {
        /// Events, as one `events` message.
        case message(SocketMessage)
        /// Nothing yet.
        case upToDate
        /// The stream is gone: its branch deleted (`branch`) or its object erased (`erased`, ms
        /// since the epoch); nothing more will come.
        case branchDeleted
        case erased(Int64)
    }

    /// The events after `version` (at most a page of 256) as one message, or why there is none.
    func events(after version: Seq) throws -> Read {
        var events = JSONWriter(capacity: 1024)
        var count = 0
        var newest: (position: Position, milliseconds: Int64) = (0, 0)
        let page = try store.readStream(stream, from: version + 1, limit: 256) { event in
            if count > 0 { events.byte(UInt8(ascii: ",")) }
            EventJSON.write(event, into: &events)
            count += 1
            newest = (event.position, event.timeMilliseconds)
        }
        if page == nil, stream.branch != .main { return .branchDeleted }
        if page == nil, version > 0, let erasedAt = try store.erasure(of: stream.object) { return .erased(erasedAt) }
        guard count > 0, let page else { return .upToDate }
        let next = version + UInt64(count)
        return .message(
            SocketMessage(
                after: version, version: next, newestPosition: newest.position, newestMilliseconds: newest.milliseconds,
                hasMore: page.next != nil, payload: ByteBuffer(bytes: try encode(type: "events", version: next, events: events.bytes))))
    }

    /// `{"type", "version", "events": [...]?, "views": {...}?}`: `events` (the bytes of a JSON
    /// array's items) only in an `events` message; the views' states at the head.
    func encode(type: String, version: Seq, events: [UInt8]) throws -> [UInt8] {
        var writer = JSONWriter(capacity: 512 + events.count)
        writer.ascii("{\"type\":")
        writer.string(type)
        writer.ascii(",\"version\":")
        writer.integer(version)
        if type == "events" {
            writer.ascii(",\"events\":[")
            writer.bytes.append(contentsOf: events)
            writer.byte(UInt8(ascii: "]"))
        }
        guard !views.isEmpty else {
            writer.byte(UInt8(ascii: "}"))
            return writer.bytes
        }
        writer.ascii(",\"views\":{")
        for (index, view) in views.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.string(view.name)
            writer.byte(UInt8(ascii: ":"))
            if let read = try store.readView(view, of: stream) {
                writer.bytes.append(contentsOf: read.state)
            } else {
                writer.value(try view.materialize([]).summary)
            }
        }
        writer.ascii("}}")
        return writer.bytes
    }
}

/// One `events` message of a WebSocket: the events after `after`, up to `version`.
struct SocketMessage: Sendable {
    /// The version the events follow.
    let after: Seq
    /// The version after them.
    let version: Seq
    /// The log position and commit time (ms since the epoch) of the newest.
    let newestPosition: Position
    let newestMilliseconds: Int64
    /// Whether more events followed them when they were read (a page of a catch-up).
    let hasMore: Bool
    /// The message, as one text frame's payload.
    let payload: ByteBuffer
}
