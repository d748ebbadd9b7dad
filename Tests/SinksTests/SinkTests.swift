import CNATS
import EventModel
import EventStoreTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Sinks
import Synchronization
import Testing

@testable import EventStore

/// Sinks log every retry as a warning; these tests cause many on purpose.
let sinkLogger: Logger = {
    var logger = Logger(label: "evlog.test.sinks")
    logger.logLevel = .critical
    return logger
}()

/// Appends `count` one-event requests spread over five accounts.
func appendDeposits(_ store: EventStore, count: Int) async throws {
    for index in 0..<count {
        _ = try await store.append(try TestEvents.request("acct/a\(index % 5)", [("Deposited", "{\"n\":\(index)}")]))
    }
}

/// Waits until the consumer `name` has acknowledged `position` (20 s at most).
func waitForAck(_ store: EventStore, _ name: String, _ position: Position) async throws {
    for _ in 0..<2_000 {
        if try store.consumer(name)?.position ?? 0 >= position { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("\(name) did not reach \(position); it is at \(try store.consumer(name)?.position ?? 0)")
}

@Suite("Sinks")
struct SinkTests {
    /// What the test webhook received.
    struct Received: Sendable {
        var batches: [[Int]] = []
        var keys: [String] = []
        var refused = 0
    }

    @Test("a sinks file's filters take objects and object prefixes; a bad one is named by its pointer")
    func fileFilters() throws {
        let file: JSONValue = [
            "sinks": [["name": "lake", "type": "jsonl", "path": "/tmp/x", "filters": ["objects": ["inventory/sku-1"], "objectPrefixes": ["building/hq-"]]]]
        ]
        let sinks = try SinkConfiguration.parse(file)
        #expect(sinks.first?.filter == ConsumerFilter(objects: ["inventory/sku-1"], objectPrefixes: ["building/hq-"]))
        let bad: JSONValue = ["sinks": [["name": "lake", "type": "jsonl", "path": "/tmp/x", "filters": ["objectPrefixes": ["hq-"]]]]]
        #expect(throws: SinkConfiguration.FileError.self) { _ = try SinkConfiguration.parse(bad) }
        do { _ = try SinkConfiguration.parse(bad) } catch { #expect(error.pointer == "/sinks/0/filters/objectPrefixes/0") }
    }

    @Test("the webhook sink delivers every event at least once, in order, through a receiver failing 30% of requests")
    func webhookThroughFailures() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        try await appendDeposits(test.store, count: 300)
        let received = Mutex(Received())
        let dice = Mutex(SplitMix64(seed: 30))
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            if dice.withLock({ $0.next() % 10 }) < 3 {
                received.withLock { $0.refused += 1 }
                return Response(status: .serviceUnavailable)
            }
            let events = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]] ?? []
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
            received.withLock {
                $0.batches.append(events.compactMap { $0["position"] as? Int })
                $0.keys.append(key)
            }
            return Response(status: .ok)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let configuration = SinkConfiguration(
                name: "hook", target: .webhook(url: "http://127.0.0.1:\(port)/hook", headers: [:]), batchSize: 32, maxAttempts: 1_000,
                backoffMilliseconds: 1, backoffMaxMilliseconds: 4)
            let runner = SinkRunner(store: test.store, configuration: configuration, sink: try configuration.makeSink(), logger: sinkLogger)
            let task = Task { try await runner.run() }
            try await waitForAck(test.store, "hook", 300)
            task.cancel()
            _ = await task.result
        }
        let result = received.withLock { $0 }
        #expect(result.refused > 0, "the receiver failed some requests")
        #expect(result.batches.allSatisfy { $0 == $0.sorted() && $0.count <= 32 })
        #expect(result.batches.flatMap { $0 } == Array(1...300), "every event once accepted, in order")
        #expect(result.keys == result.batches.map { "hook-\($0[0])-\($0[$0.count - 1])" })
    }

    @Test("a batch that keeps failing is parked, the sink moves on, and the batch can be delivered again")
    func parking() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        try await appendDeposits(test.store, count: 30)
        let accepted = Mutex<[Int]>([])
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let positions = (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int }
            if positions.contains(15), request.headers[HTTPField.Name("X-Fixed")!] == nil { return Response(status: .badRequest) }
            accepted.withLock { $0 += positions }
            return Response(status: .ok)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/hook"
            let configuration = SinkConfiguration(
                name: "hook", target: .webhook(url: url, headers: [:]), batchSize: 10, maxAttempts: 3, backoffMilliseconds: 1, backoffMaxMilliseconds: 2)
            let task = Task {
                try await SinkRunner(store: test.store, configuration: configuration, sink: try configuration.makeSink(), logger: sinkLogger).run()
            }
            try await waitForAck(test.store, "hook", 30)
            task.cancel()
            _ = await task.result
            let parked = try test.store.parkedBatches(sink: "hook")
            #expect(parked.map(\.firstPosition) == [11] && parked.first?.reason.contains("400") == true)
            #expect(accepted.withLock { $0 } == Array(1...10) + Array(21...30))

            // Replayed with the receiver fixed (a header it needs), then dropped.
            let fixed = WebhookSink(name: "hook", url: url, headers: ["X-Fixed": "1"])
            let batch = try #require(parked.first)
            let events = try #require(try JSONSerialization.jsonObject(with: Data(batch.body)) as? [[String: Any]])
            try await fixed.deliver(
                SinkBatch(
                    events: events.map {
                        SinkBatch.Event(
                            json: Array(try! JSONSerialization.data(withJSONObject: $0)), id: EventID(parsing: $0["id"] as! String)!,
                            objectType: "acct", position: Position($0["position"] as! Int))
                    }, next: 20))
            try await test.store.unpark(sink: "hook", firstPosition: 11)
            #expect(try test.store.parkedBatches().isEmpty)
            await #expect(throws: EventStoreError.parkedBatchNotFound(sink: "hook", position: 11), "dropped once only") {
                try await test.store.unpark(sink: "hook", firstPosition: 11)
            }
            #expect(accepted.withLock { $0 }.sorted() == Array(1...30))
        }
    }

    @Test("the JSON Lines sink writes every event as a CloudEvent line and starts a new file past the size limit")
    func jsonLines() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        try await appendDeposits(test.store, count: 100)
        let folder = test.directory.appending("lake")
        let configuration = SinkConfiguration(name: "lake", target: .jsonLines(path: folder + "/events", rotateBytes: 4_096), batchSize: 16)
        let task = Task { try await SinkRunner(store: test.store, configuration: configuration, sink: try configuration.makeSink(), logger: sinkLogger).run() }
        try await waitForAck(test.store, "lake", 100)
        task.cancel()
        _ = await task.result
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files.count > 1 && files.first == "events-000000000001.jsonl")
        var positions: [Int] = []
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(cloudEventProblems(event).isEmpty)
                positions.append(try #require(event["position"] as? Int))
            }
        }
        #expect(positions == Array(1...100))
    }

    @Test("a line a crash cut short is dropped before the JSON Lines sink appends after it")
    func tornLine() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        try await appendDeposits(test.store, count: 5)
        let folder = test.directory.appending("lake")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/events-000000000001.jsonl"
        try Data("{\"position\":0}\n{\"specversion\":\"1.0\",\"posi".utf8).write(to: URL(fileURLWithPath: file))
        let sink = JSONLinesSink(path: folder + "/events", rotateBytes: 1 << 20)
        let configuration = SinkConfiguration(name: "lake", target: .jsonLines(path: folder + "/events", rotateBytes: 1 << 20))
        let task = Task { try await SinkRunner(store: test.store, configuration: configuration, sink: sink, logger: sinkLogger).run() }
        try await waitForAck(test.store, "lake", 5)
        task.cancel()
        _ = await task.result
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let positions = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["position"] as? Int
        }
        #expect(positions == [0, 1, 2, 3, 4, 5])
    }

    @Test("the JetStream sink stores each event exactly once in a real nats-server, even when a batch is sent twice")
    func jetStream() async throws {
        let server = try NATSServer.start()
        defer { server.stop() }
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        try await appendDeposits(test.store, count: 120)
        let configuration = SinkConfiguration(
            name: "bus", target: .nats(url: server.url, stream: "EVLOG", subjectPrefix: "evlog"), batchSize: 50)
        let sink = try configuration.makeSink()
        let runner = SinkRunner(store: test.store, configuration: configuration, sink: sink, logger: sinkLogger)
        let task = Task { try await runner.run() }
        try await waitForAck(test.store, "bus", 120)
        task.cancel()
        _ = await task.result
        // A crash after publishing and before acknowledging sends a batch again: JetStream drops it.
        let again = try #require(try runner.nextBatch(after: 0))
        try await sink.deliver(again)
        await sink.close()

        let stored = try server.messages(stream: "EVLOG")
        let events = try test.store.wholeLog()
        #expect(stored.count == 120)
        #expect(stored.map(\.id) == events.map(\.id.description), "each event once, in order, with its id as Nats-Msg-Id")
        #expect(stored.allSatisfy { $0.subject == "evlog.acct" })
    }
}

/// A `nats-server -js` on a free loopback port, in a temporary folder, for one test.
struct NATSServer {
    let process: Process
    let url: String
    let folder: String

    static func start() throws -> NATSServer {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw TestFailure("nats-server is not installed; Tools/setup installs it") }
        let port = Int.random(in: 20_000...60_000)
        let folder = NSTemporaryDirectory() + "evlog-nats-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-js", "-a", "127.0.0.1", "-p", "\(port)", "-sd", folder]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = NATSServer(process: process, url: "nats://127.0.0.1:\(port)", folder: folder)
        for _ in 0..<100 {
            var connection: OpaquePointer?
            if natsConnection_ConnectTo(&connection, server.url) == NATS_OK {
                natsConnection_Destroy(connection)
                return server
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        server.stop()
        throw TestFailure("nats-server did not start on \(server.url)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Every message of `stream`, in stream order: subject and `Nats-Msg-Id`.
    func messages(stream: String) throws -> [(subject: String, id: String)] {
        var connection: OpaquePointer?
        guard natsConnection_ConnectTo(&connection, url) == NATS_OK else { throw TestFailure("cannot connect to \(url)") }
        defer { natsConnection_Destroy(connection) }
        var context: OpaquePointer?
        guard natsConnection_JetStream(&context, connection, nil) == NATS_OK else { throw TestFailure("no JetStream") }
        defer { jsCtx_Destroy(context) }
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(0)
        guard js_GetStreamInfo(&info, context, stream, nil, &code) == NATS_OK, let info else { throw TestFailure("no stream \(stream)") }
        let count = info.pointee.State.Msgs
        jsStreamInfo_Destroy(info)
        var messages: [(subject: String, id: String)] = []
        for sequence in 1...max(1, count) where count > 0 {
            var message: OpaquePointer?
            guard js_GetMsg(&message, context, stream, sequence, nil, &code) == NATS_OK, let message else { throw TestFailure("no message \(sequence)") }
            var id: UnsafePointer<CChar>?
            _ = natsMsgHeader_Get(message, "Nats-Msg-Id", &id)
            messages.append((String(cString: natsMsg_GetSubject(message)), id.map { String(cString: $0) } ?? ""))
            natsMsg_Destroy(message)
        }
        return messages
    }
}

/// A failure of the test's own set-up, with what to do about it.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
