import EventServer
import EventStoreTesting
import Foundation
import Hummingbird
import NIOPosix
import Testing

@Suite("Connections")
struct IdleTimeoutTests {
    /// Runs `body` with the port of a live server whose idle timeout is `idleSeconds`; stops
    /// the server and removes its store after.
    private static func withLiveServer(idleSeconds: Int64, _ body: @Sendable (Int, ConnectionRegistry) async throws -> Void) async throws {
        let test = try TestStore.open()
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.idleTimeoutSeconds = idleSeconds
        let port = AsyncStream<Int>.makeStream()
        let connections = ConnectionRegistry()
        // Loops of its own: the tests running beside it keep the shared loops busy enough to
        // accept its connection seconds late, and its deadlines are what it checks.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let application = try EventServer.makeApplication(
            store: test.store, configuration: configuration, metrics: ServerMetrics(), streams: LogStreamHub(), logger: quietLogger,
            connections: connections, eventLoopGroup: loops
        ) { port.continuation.yield($0) }
        let server = Task { try await application.run() }
        var ports = port.stream.makeAsyncIterator()
        do {
            try await body(try #require(await ports.next()), connections)
        } catch {
            server.cancel()
            _ = await server.result
            try? await loops.shutdownGracefully()
            await test.destroy()
            throw error
        }
        server.cancel()
        _ = await server.result
        try await loops.shutdownGracefully()
        await test.destroy()
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idleConnectionClosed() async throws {
        try await Self.withLiveServer(idleSeconds: 1) { listening, connections in
            let started = ContinuousClock.now
            let answer = try await Self.sendOnThread([], port: listening)
            let waited = ContinuousClock.now - started
            #expect(answer == "", "the server closed the silent connection (\(connections.count) still open on port \(listening) after \(waited))")
            #expect(waited >= .milliseconds(900), "not before the idle timeout")
        }
    }

    @Test("a request head that does not parse ends its connection at once, also after a good request on the same connection")
    func malformedRequestClosed() async throws {
        try await Self.withLiveServer(idleSeconds: 60) { listening, _ in
            for junk in ["\u{16}\u{3}\u{1} NOT HTTP\r\n\r\n", "GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"] {
                let answer = try await Self.sendOnThread(Array(junk.utf8), port: listening)
                #expect(answer == "", "\(junk.debugDescription): closed, well before the idle timeout")
            }
            let pipelined = try await Self.sendOnThread(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGARBAGE\r\n\r\n".utf8), port: listening)
                // Closed too (its good request may or may not be answered first: a loaded server may
            // meet the bad one before it answers).
            #expect(pipelined != nil, "closed, well before the idle timeout")
        }
    }

    /// Connects, sends `bytes`, and returns what the server sent until it closed the connection
    /// (nil if it is still open after 10 s).
    /// ``send(_:port:)`` on a thread of its own: its blocking reads (up to 30 s) must not hold one
    /// of the few threads every task of the test run (the servers' included) shares.
    private static func sendOnThread(_ bytes: [UInt8], port: Int) async throws -> String? {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try send(bytes, port: port) }) }.start()
        }
    }

    private static func send(_ bytes: [UInt8], port: Int) throws -> String? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        // A limit, not a measure: a server loaded by the whole test run may accept late.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            if count < 0 { return nil }
            received += buffer[..<count]
        }
    }
}
