import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWSClient
import HummingbirdWebSocket
import Projections
import Testing

@Suite("The WebSockets of one object branch: one read per commit, written by the fan-out to the sockets caught up")
struct SocketFanoutTests {
    /// The events (their seqs) each events message carried, on one socket.
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [[Int]] = []
        private var snapshots = 0

        func snapshot() { lock.withLock { snapshots += 1 } }
        func events(_ seqs: [Int]) { lock.withLock { messages.append(seqs) } }
        var snapshotCount: Int { lock.withLock { snapshots } }
        var all: [[Int]] { lock.withLock { messages } }
        var last: Int { lock.withLock { messages.last?.last ?? 0 } }
    }

    /// The version the readers stop at, once the writer knows it.
    final class Head: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Int

        init(_ value: Int) { stored = value }
        var value: Int {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    /// Reads one socket's messages into `received` until it has seen version `head`.
    private static func listen(_ client: some TestClientProtocol, _ path: String, until head: Head, into received: Received) async throws {
        try await client.ws(path, configuration: WebSocketClientConfiguration(maxFrameSize: 1 << 24)) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 24) {
                guard case .text(let text) = message, let body = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
                if body["type"] as? String == "snapshot" { received.snapshot() }
                if body["type"] as? String == "events" {
                    received.events(((body["events"] as? [[String: Any]]) ?? []).compactMap { $0["seq"] as? Int })
                }
                if (body["version"] as? Int ?? 0) >= head.value {
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
            }
        }
    }

    /// The count of events messages written by `writer` (`fanout` or `socket`), from the metrics.
    private static func written(by writer: String, _ metrics: ServerMetrics) -> Int {
        var buffer: [UInt8] = []
        metrics.registry.emit(into: &buffer)
        let prefix = "evlog_socket_messages_total{writer=\"\(writer)\"} "
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
            return Int(line.dropFirst(prefix.count)) ?? 0
        }
        return 0
    }

    @Test("five sockets on one object each get every event once and in order across 40 commits; the fan-out writes most of them")
    func everySocketEveryEvent() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let metrics = ServerMetrics()
        let application = try EventServer.makeApplication(
            store: test.store, configuration: ServerConfiguration(), metrics: metrics, streams: LogStreamHub(), logger: quietLogger)
        let sockets = (0..<5).map { _ in Received() }
        let head = 40 * 2
        _ = try await application.test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for received in sockets {
                    group.addTask { try await Self.listen(client, "/v1/objects/inventory/fan/ws", until: Head(head), into: received) }
                }
                group.addTask {
                    while sockets.contains(where: { $0.snapshotCount == 0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    for _ in 0..<40 {
                        _ = try await test.store.append(TestEvents.request("inventory/fan", [("Restocked", #"{"qty": 1}"#), ("Restocked", #"{"qty": 2}"#)]))
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                try await group.waitForAll()
            }
        }
        for (number, received) in sockets.enumerated() {
            let seqs = received.all.flatMap { $0 }
            #expect(seqs.count == head && seqs == Array(1...head), "socket \(number): every event once, in order (got \(seqs.count) of \(head))")
        }
        let byFanout = Self.written(by: "fanout", metrics)
        #expect(byFanout > 0, "the fan-out wrote to the sockets caught up (\(byFanout) messages; \(Self.written(by: "socket", metrics)) by the sockets' own tasks)")
    }
}

extension SocketFanoutTests {
    @Test("a socket that stops reading is let go by the fan-out and closed after the stall timeout; the others on its object get every event")
    func stalledSocketLetGo() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        var configuration = ServerConfiguration()
        configuration.stalledWriteSeconds = 1
        let metrics = ServerMetrics()
        let application = try EventServer.makeApplication(
            store: test.store, configuration: configuration, metrics: metrics, streams: LogStreamHub(), logger: quietLogger)
        let readers = (0..<2).map { _ in Received() }
        let note = String(repeating: "n", count: 500)
        let (small, batchesMax, perBatch) = (20, 300, 100)
        let head = Head(.max)
        _ = try await application.test(.live) { client in
            let port = try #require(client.port)
            let stalled = try await StalledSocket.connect(port: port, path: "/v1/objects/inventory/fan/ws")
            defer { stalled.close() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for received in readers {
                    group.addTask { try await Self.listen(client, "/v1/objects/inventory/fan/ws", until: head, into: received) }
                }
                group.addTask {
                    while readers.contains(where: { $0.snapshotCount == 0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    // Small commits: by the last one, the fan-out writes to all three sockets (each is held).
                    var lastWritten = 0
                    for _ in 0..<small {
                        let before = Self.written(by: "fanout", metrics)
                        _ = try await test.store.append(TestEvents.request("inventory/fan", [("Restocked", #"{"qty": 1}"#)]))
                        try await Task.sleep(for: .milliseconds(50))
                        lastWritten = Self.written(by: "fanout", metrics) - before
                    }
                    #expect(lastWritten == 3, "the fan-out holds the three sockets")
                    // Batches of 100 events of 600 bytes (the first 5 MB at once), until the server
                    // closes the socket that reads none (at most 30 MB).
                    var appended = small
                    for batch in 0..<batchesMax {
                        let events = Array(repeating: ("Restocked", #"{"qty": 1, "note": "\#(note)"}"#), count: perBatch)
                        _ = try await test.store.append(TestEvents.request("inventory/fan", events))
                        appended += perBatch
                        guard batch >= 79 else { continue }
                        if stalled.closedByServer(port: port) { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    // One more commit brings the readers the version they stop at.
                    head.value = appended + 1
                    _ = try await test.store.append(TestEvents.request("inventory/fan", [("Restocked", #"{"qty": 1}"#)]))
                }
                try await group.waitForAll()
            }
            // Several MB were sent its way, it read none: the server closes it once its write
            // stalls (a second). Seen in the kernel's table of connections, not by reading it:
            // what the server had queued would come through its 4 KiB window first.
            var waited = 0
            while !stalled.closedByServer(port: port), waited < 200 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(stalled.closedByServer(port: port), "the socket that stopped reading was closed by the server")
        }
        for (number, received) in readers.enumerated() {
            let seqs = received.all.flatMap { $0 }
            #expect(seqs.count == head.value && seqs == Array(1...head.value), "reading socket \(number): every event once, in order (got \(seqs.count))")
        }
    }
}

/// A WebSocket client that upgrades, then reads nothing (a POSIX socket with a small receive
/// buffer): the peer that stopped reading.
final class StalledSocket: Sendable {
    private let socket: Int32

    /// Connects and upgrades, on a thread of its own (its reads block).
    static func connect(port: Int, path: String) async throws -> StalledSocket {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try StalledSocket(port: port, path: path) }) }.start()
        }
    }

    private init(port: Int, path: String) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var small: Int32 = 4096
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = Array(request.utf8).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
        // The handshake's answer (byte by byte: nothing after it is read).
        var answer: [UInt8] = []
        var byte: UInt8 = 0
        while answer.suffix(4) != Array("\r\n\r\n".utf8)[...], recv(socket, &byte, 1, 0) == 1 { answer.append(byte) }
        try #require(answer.starts(with: Array("HTTP/1.1 101".utf8)), "upgraded: \(String(decoding: answer, as: UTF8.self))")
    }

    /// Whether the server (listening on `port`) has closed its end: its side of the connection
    /// in `/proc/net/tcp` is gone or no longer established (FIN-WAIT with its data still queued).
    func closedByServer(port: Int) -> Bool {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        let local = String(format: "%04X", Int(UInt16(bigEndian: address.sin_port)))
        let server = String(format: "%04X", port)
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[1].hasSuffix(":\(server)"), fields[2].hasSuffix(":\(local)") else { continue }
            return fields[3] != "01"
        }
        return true
    }

    func close() { Glibc.close(socket) }
}

