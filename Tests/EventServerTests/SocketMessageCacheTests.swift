import EventModel
import EventStore
import NIOCore
import Testing

@testable import EventServer

@Suite("The WebSockets' shared messages: one read and one frame per commit for the sockets of an object branch")
struct SocketMessageCacheTests {
    private static func message(after: Seq, _ text: String) -> SocketMessageCache.Message {
        SocketMessageCache.Message(
            after: after, version: after + 1, newestPosition: after + 1, newestMilliseconds: 0, hasMore: false, payload: ByteBuffer(string: text))
    }

    @Test("a message is found by the sockets at its version only, newer replaces older, and the last socket to leave takes it")
    func sharedWhileOpen() throws {
        let cache = SocketMessageCache()
        let key = SocketMessageCache.Key(stream: StreamName(object: try ObjectKey(parsing: "inventory/a")), views: [])
        let other = SocketMessageCache.Key(stream: StreamName(object: try ObjectKey(parsing: "inventory/a")), views: ["stock"])
        cache.keep(Self.message(after: 0, "no socket"), for: key)
        #expect(cache.message(key, after: 0) == nil && cache.keyCount == 0, "kept only while a socket is open")

        cache.join(key)
        cache.join(key)
        cache.keep(Self.message(after: 4, "v5"), for: key)
        #expect(cache.message(key, after: 4)?.payload == ByteBuffer(string: "v5"))
        #expect(cache.message(key, after: 3) == nil, "a socket behind reads for itself")
        #expect(cache.message(other, after: 4) == nil, "sockets with other views get other messages")
        cache.keep(Self.message(after: 2, "v3"), for: key)
        #expect(cache.message(key, after: 4) != nil, "an older read does not replace a newer one")

        cache.leave(key)
        #expect(cache.keyCount == 1)
        cache.leave(key)
        #expect(cache.keyCount == 0 && cache.message(key, after: 4) == nil, "gone with its last socket")
    }
}
