import EventServer
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Projections

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
