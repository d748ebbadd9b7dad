import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Projections
import Synchronization

/// Runs `body` against a router over a fresh temporary store.
func withServer(
    store configureStore: (inout StoreConfiguration) -> Void = { _ in },
    server configureServer: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @Sendable (any TestClientProtocol, TestStore, LogStreamHub) async throws -> Void
) async throws {
    let metrics = ServerMetrics()
    let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: BundledTypes.logViews, observer: metrics, configureStore)
    var configuration = ServerConfiguration()
    configureServer(&configuration)
    let streams = LogStreamHub()
    let router = EventServer.makeRouter(store: test.store, configuration: configuration, metrics: metrics, streams: streams)
    let application = Application(router: router)
    do {
        try await application.test(.router) { client in try await body(client, test, streams) }
    } catch {
        await test.destroy()
        throw error
    }
    await test.destroy()
}

extension TestClientProtocol {
    /// POSTs a JSON body (as text) to `uri`.
    func post(_ uri: String, _ json: String, headers: HTTPFields = [.contentType: "application/json"]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }
}

/// The end of a wait that took too long.
struct DeadlinePassed: Error, CustomStringConvertible {
    let description: String
}

/// `body`'s answer, or ``DeadlinePassed`` after `seconds` (the body is then cancelled and left
/// behind): a client stuck on a connection fails its test instead of hanging the whole run.
func withDeadline<T: Sendable>(seconds: Int, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let answer = FirstAnswer()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            if answer.claim() { continuation.resume(with: result) }
        }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            guard answer.claim() else { return }
            work.cancel()
            continuation.resume(throwing: DeadlinePassed(description: "\(what) had no answer after \(seconds) s"))
        }
    }
}

/// Which of two racers answers: the first to claim.
private final class FirstAnswer: Sendable {
    private let answered = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        answered.withLock { done in
            defer { done = true }
            return !done
        }
    }
}

/// The status a WebSocket upgrade request to `url` is answered with (101: upgraded; 0: none),
/// with the extra `headers`; asked with curl, so a connection the server ends in any way
/// cannot leave a client waiting.
func webSocketUpgradeStatus(_ url: String, headers: [String] = []) async throws -> Int {
    let upgrade = ["Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
    let result = try await ExternalProcess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "--http1.1"] + (upgrade + headers).flatMap { ["-H", $0] } + [url])
    return Int(result.output) ?? 0
}
