import EventModel
import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HummingbirdTesting
import HummingbirdWSTesting
import HummingbirdWebSocket
import Projections
import Testing

@Suite("WebSocket: /v1/objects/{type}/{id}/ws")
struct ObjectSocketTests {
    @Test("a socket gets the views on connect, then every commit, and runs commands correlated by id")
    func liveObject() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/ws-1")), command: "restock", body: ["qty": 2]))
        let application = try EventServer.makeApplication(
            store: test.store, configuration: ServerConfiguration(), metrics: ServerMetrics(), streams: LogStreamHub(), logger: quietLogger)
        _ = try await application.test(.live) { client in
            let transcript = try await Transcript.record(client: client, store: test.store)
            let snapshot = transcript.messages[0]
            #expect(snapshot["type"] as? String == "snapshot" && snapshot["version"] as? Int == 1)
            #expect(((snapshot["views"] as? [String: Any])?["stock"] as? [String: Any])?["available"] as? Int == 2)
            let refused = transcript.messages[1]
            #expect(refused["type"] as? String == "reply" && refused["id"] as? String == "c1" && refused["ok"] as? Bool == false)
            #expect((refused["problem"] as? [String: Any])?["code"] as? String == "INSUFFICIENT_STOCK")
            let later = transcript.messages.dropFirst(2)
            #expect(later.contains { $0["type"] as? String == "events" && ($0["events"] as? [[String: Any]])?.isEmpty == false && $0["views"] != nil })
            #expect(later.contains { $0["type"] as? String == "reply" && $0["id"] as? Int == 7 && $0["ok"] as? Bool == true && $0["version"] as? Int == 4 })
        }
    }
}

extension ObjectSocketTests {
    @Test("a socket that subscribes to no view gets events and versions only, and reads a view's part when it asks")
    func leanSocket() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/ws-2")), command: "restock", body: ["qty": 2]))
        let application = try EventServer.makeApplication(
            store: test.store, configuration: ServerConfiguration(), metrics: ServerMetrics(), streams: LogStreamHub(), logger: quietLogger)
        let box = TranscriptBox()
        _ = try await application.test(.live) { client in
            try await client.ws("/v1/objects/inventory/ws-2/ws") { inbound, outbound, _ in
                var step = 0
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    box.append(Transcript.json(message))
                    step += 1
                    switch step {
                    case 1: try await outbound.write(.text(#"{"id": "q1", "view": "stock", "pointer": "/available"}"#))
                    case 2: try await outbound.write(.text(#"{"id": "q2", "view": "stock", "pointer": "/nowhere"}"#))
                    case 3: try await outbound.write(.text(#"{"id": "c1", "command": "restock", "body": {"qty": 1}, "include": ["state"]}"#))
                    default:
                        if box.messages.contains(where: { $0["type"] as? String == "events" }) && box.messages.contains(where: { $0["id"] as? String == "c1" }) {
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        }
                    }
                }
            }
        }
        let messages = box.messages
        #expect(messages[0]["type"] as? String == "snapshot" && messages[0]["version"] as? Int == 1 && messages[0]["views"] == nil)
        #expect(messages[1]["id"] as? String == "q1" && messages[1]["ok"] as? Bool == true && messages[1]["value"] as? Int == 2)
        #expect(messages[2]["id"] as? String == "q2" && messages[2]["ok"] as? Bool == false)
        #expect(((messages[2]["problem"] as? [String: Any])?["type"] as? String) == "/problems/pointer-not-found")
        let reply = try #require(messages.first { $0["id"] as? String == "c1" })
        #expect(reply["ok"] as? Bool == true && reply["version"] as? Int == 2 && (reply["state"] as? [String: Any])?["available"] as? Int == 3)
        let events = try #require(messages.first { $0["type"] as? String == "events" })
        #expect(events["version"] as? Int == 2 && events["views"] == nil)
    }
}

/// What one scripted WebSocket session received, in order.
struct Transcript {
    var messages: [[String: Any]] = []

    static func json(_ message: WebSocketMessage) -> [String: Any] {
        guard case .text(let text) = message else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Connects to inventory/ws-1, sends a command that is refused, lets another writer append,
    /// sends a command that succeeds, and records everything until both its reply and the
    /// events message have arrived.
    static func record(client: some TestClientProtocol, store: EventStore) async throws -> Transcript {
        let box = TranscriptBox()
        try await client.ws("/v1/objects/inventory/ws-1/ws?views=stock") { inbound, outbound, _ in
            var step = 0
            for try await message in inbound.messages(maxSize: 1 << 20) {
                let body = json(message)
                box.append(body)
                switch step {
                case 0:
                    step = 1
                    try await outbound.write(.text(#"{"id": "c1", "command": "reserve", "body": {"orderId": "o-1", "qty": 5}}"#))
                case 1:
                    step = 2
                    _ = try await store.append(TestEvents.request("inventory/ws-1", [("Restocked", #"{"qty": 3}"#)]))
                    try await outbound.write(.text(#"{"id": 7, "command": "reserve", "body": {"orderId": "o-1", "qty": 5}}"#))
                default:
                    if box.sawReplyAndEvents {
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
        }
        return Transcript(messages: box.messages)
    }
}

/// Collects messages from the socket handler's task.
final class TranscriptBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [[String: Any]] = []

    func append(_ message: [String: Any]) { lock.withLock { stored.append(message) } }

    var messages: [[String: Any]] { lock.withLock { stored } }

    var sawReplyAndEvents: Bool {
        let later = messages.dropFirst(2)
        return later.contains { $0["type"] as? String == "events" } && later.contains { $0["type"] as? String == "reply" }
    }
}

extension ObjectSocketTests {
    @Test("a socket open on an object that is erased is closed; one asked for after is not upgraded")
    func erasedObject() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = [UInt8](repeating: 3, count: 32) }
        defer { Task { await test.destroy() } }
        let object = try ObjectKey(parsing: "inventory/ws-gone")
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: object), command: "restock", body: ["qty": 2]))
        let application = try EventServer.makeApplication(
            store: test.store, configuration: ServerConfiguration(), metrics: ServerMetrics(), streams: LogStreamHub(), logger: quietLogger)
        let box = TranscriptBox()
        _ = try await application.test(.live) { client in
            try await withDeadline(seconds: 20, "a socket on an erased object") {
                try await client.ws("/v1/objects/inventory/ws-gone/ws") { inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        box.append(Transcript.json(message))
                        if box.messages.count == 1 { _ = try await test.store.erase(object) }
                    }
                }
            }
            let refused = try await client.execute(uri: "/v1/objects/inventory/ws-gone/ws", method: .get)
            #expect(refused.status == .gone, "\(String(buffer: refused.body))")
        }
        #expect(box.messages.count == 1 && box.messages[0]["type"] as? String == "snapshot", "closed with no more messages")
    }
}
