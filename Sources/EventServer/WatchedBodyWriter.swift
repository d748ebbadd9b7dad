import Hummingbird
import NIOCore

/// A stream's response body whose every write the hub watches (``Subscriber/write(timeout:_:)``):
/// a write that does not return within `timeout` has its connection closed, for a reader that
/// stopped reading holds the write, and its buffers, for ever.
struct WatchedBodyWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let subscriber: Subscriber
    let timeout: Duration

    /// A Server-Sent Events comment that keeps an idle stream's connection open (one buffer for
    /// every stream).
    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await subscriber.write(timeout: timeout) { try await base.write(buffer) }
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers { try await write(buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        subscriber.writeBegins(timeout: timeout)
        defer { subscriber.writeEnded(timeout: timeout) }
        try await base.finish(trailingHeaders)
    }
}
