import Access
import EventModel
import EventStore
import EventStoreTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import HummingbirdWebSocket
import NIOCore
import Projections
import Testing

@testable import EventServer

/// The "other tenant" column of the access matrix: every route of the router, asked by a
/// tenant with every scope for another tenant's things, answers exactly what it answers in a
/// store where those things never existed, and not one byte of them shows in any answer or
/// stream.
@Suite("Tenants: another tenant's anything is as if it did not exist")
struct TenantIsolationTests {
    /// A string only the first tenant's data holds.
    static let mark = "acme-secret-7f3a9c"

    private static func token(_ tenant: String, _ configuration: AccessConfiguration, scopes: Set<Scope> = Set(Scope.allCases)) async throws -> String {
        try await TokenMinter.token(
            TokenClaims(tenant: tenant, scopes: scopes, expires: Date(timeIntervalSinceNow: 600), audience: "evlog"), kid: "k", configuration: configuration)
    }

    /// One answer: its status, its problem type (if any) and its bytes.
    struct Answer: Equatable {
        let status: Int
        let problemType: String?
        let body: String
    }

    /// Runs `body` with a live server on a store of its own, with access control.
    private static func withLiveServer(
        _ configuration: AccessConfiguration, _ body: @Sendable (_ port: Int, _ client: any TestClientProtocol, _ store: EventStore) async throws -> Void
    ) async throws {
        var server = ServerConfiguration()
        server.port = 0
        // A stream whose reader left ends at its next heartbeat: the server then stops at once.
        server.heartbeatSeconds = 1
        server.access = try await TokenVerifier(configuration: configuration)
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: BundledTypes.logViews)
        let application = try EventServer.makeApplication(store: test.store, configuration: server, metrics: ServerMetrics(), streams: LogStreamHub(), logger: quietLogger)
        do {
            try await application.test(.live) { client in try await body(try #require(client.port), client, test.store) }
        } catch {
            await test.destroy()
            throw error
        }
        await test.destroy()
    }

    /// Asks `route` (`METHOD /pattern`) with `token`: streams are read for a second over curl,
    /// the rest through the client.
    private static func ask(_ route: String, token: String, port: Int, client: any TestClientProtocol) async throws -> Answer {
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        let uri = AccessRouteTests.sample(parts[1])
        if parts[1].hasSuffix("/stream") {
            let result = try await ExternalProcess.run([
                "curl", "-s", "-N", "--max-time", "1", "-w", "\n%{http_code}", "-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(port)\(uri)",
            ])
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            let body = lines.dropLast().joined(separator: "\n")
            return Answer(status: Int(lines.last ?? "") ?? 0, problemType: problemType(body), body: body)
        }
        let method = HTTPRequest.Method(parts[0])!
        let body: ByteBuffer? = method == .get || method == .delete ? nil : ByteBuffer(string: requestBody(parts[1]))
        let response = try await client.execute(
            uri: uri, method: method, headers: [.contentType: "application/json", .authorization: "Bearer \(token)"], body: body)
        let text = String(buffer: response.body)
        return Answer(status: Int(response.status.code), problemType: problemType(text), body: text)
    }

    /// A body each writing route takes as valid, so it reaches what it names.
    private static func requestBody(_ pattern: String) -> String {
        switch pattern {
        case "/v1/objects/{type}/{id}/events": #"{"events": [{"type": "Restocked", "data": {"qty": 1}}]}"#
        case "/v1/objects/{type}/{id}/commands/{name}": #"{"qty": 1}"#
        case "/v1/objects/{type}/{id}/branches": #"{"name": "b2", "from": "main", "at": 1}"#
        case "/v1/objects/{type}/{id}/branches/{branch}/merge": #"{"into": "main"}"#
        case "/v1/consumers/{name}/ack": #"{"position": 1}"#
        default: "{}"
        }
    }

    private static func problemType(_ text: String) -> String? {
        guard text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["type"] as? String
    }

    /// The first message of the object's WebSocket (its snapshot) for the token's tenant, its
    /// times taken out.
    private static func socketSnapshot(token: String, client: any TestClientProtocol) async throws -> String? {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders[.authorization] = "Bearer \(token)"
        let box = AnswerBox()
        _ = try await client.ws("/v1/objects/inventory/sku-1/ws?views=stock", configuration: configuration) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { box.ids = [text] }
                try await outbound.close(.normalClosure, reason: nil)
                return
            }
        }
        return box.ids.first
    }

    /// The state (summary) and the first rows of the request's tenant's part of the
    /// cross-object view `view`, as JSON text.
    private static func viewState(_ view: String, token: String, client: any TestClientProtocol) async throws -> String {
        var parts: [String] = []
        for query in ["", "?prefix=&limit=10"] {
            let response = try await client.execute(uri: "/v1/views/\(view)\(query)", method: .get, headers: [.authorization: "Bearer \(token)"])
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            let member = object["state"] ?? object["rows"] ?? NSNull()
            parts.append(String(decoding: try JSONSerialization.data(withJSONObject: member, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self))
        }
        return parts.joined(separator: " ")
    }

    /// Gives the tenant `acme` an object with events (marked), a branch, a consumer and a snapshot.
    private static func seed(_ client: any TestClientProtocol, token: String) async throws -> [String] {
        let auth: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token)", HTTPField.Name("Event-Metadata")!: #"{"note": "\#(mark)"}"#]
        var ids: [String] = []
        for _ in 0..<3 {
            let response = try await client.post("/v1/objects/inventory/sku-1/commands/restock", #"{"qty": 4242}"#, headers: auth)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            if let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any],
                let events = object["events"] as? [[String: Any]]
            {
                ids += events.compactMap { $0["id"] as? String }
            }
        }
        #expect(try await client.post("/v1/objects/inventory/sku-1/branches", #"{"name": "b1", "from": "main", "at": 2}"#, headers: auth).status == .created)
        #expect(try await client.execute(uri: "/v1/consumers/c1", method: .put, headers: auth, body: ByteBuffer(string: "{}")).status == .created)
        #expect(try await client.post("/v1/objects/inventory/sku-1/snapshots", "{}", headers: auth).status.code < 300)
        #expect(!ids.isEmpty)
        return ids
    }

    @Test("every route, asked by another tenant with every scope: the answer of a store without the first tenant's things, and none of their bytes")
    func otherTenantMatrix() async throws {
        let configuration = try AccessRouteTests.configuration()
        let acme = try await Self.token("acme", configuration)
        let globex = try await Self.token("globex", configuration)
        let probe = try TestStore.open(objectTypes: [:], logViews: [])
        // Reads first, then writes: a write of the other tenant must not change what a later read of its own sees.
        let routes = EventServer.routes(store: probe.store).sorted { ($0.hasPrefix("GET") ? 0 : 1) < ($1.hasPrefix("GET") ? 0 : 1) }
        await probe.destroy()
        let seededAnswers = AnswerBox()
        let pristineAnswers = AnswerBox()
        let seededIDs = AnswerBox()
        try await Self.withLiveServer(configuration) { port, client, store in
            // Two tenants hold the same names: the default one (whose storage names carry no tenant) and acme.
            seededIDs.ids = try await Self.seed(client, token: acme) + Self.seed(client, token: try await Self.token("default", configuration))
            while try await store.catchUpLogViews() > 0 {}
            seededAnswers.socket = try await Self.socketSnapshot(token: globex, client: client)
            for route in routes { seededAnswers.answers[route] = try await Self.ask(route, token: globex, port: port, client: client) }
            // Cross-object views: each tenant reads its own part; acme and the default tenant did
            // the same, so their parts are equal, and the third tenant's is the initial one.
            for view in ["fleet", "low-stock"] {
                let states = try await [acme, try await Self.token("default", configuration), globex].asyncMap { token in
                    try await Self.viewState(view, token: token, client: client)
                }
                #expect(states[0] == states[1] && states[0] != states[2], "\(view): \(states)")
                seededAnswers.views[view] = states[2]
            }
            // Acme's things are all still there, untouched.
            let acmeObject = StreamName(object: ObjectKey(type: try ObjectType("inventory"), id: try ObjectID("sku-1"), tenant: try Tenant("acme")))
            #expect(try store.version(of: acmeObject) == 3)
            #expect(try store.consumer("c1", tenant: try Tenant("acme")) != nil)
            let branches = try store.branches(of: acmeObject.object).map(\.name.name).sorted()
            #expect(branches == ["b1", "main"], "\(branches)")
            // ...and acme itself reads them.
            let own = try await Self.ask("GET /v1/objects/{type}/{id}/events", token: acme, port: port, client: client)
            #expect(own.status == 200 && own.body.contains(Self.mark))
            let ownLog = try await Self.ask("GET /v1/log", token: acme, port: port, client: client)
            #expect(ownLog.body.contains(Self.mark))
        }
        try await Self.withLiveServer(configuration) { port, client, _ in
            // As the seeded store was asked: the socket and the views before the routes (which write).
            pristineAnswers.socket = try await Self.socketSnapshot(token: globex, client: client)
            for route in routes { pristineAnswers.answers[route] = try await Self.ask(route, token: globex, port: port, client: client) }
            for view in ["fleet", "low-stock"] { pristineAnswers.views[view] = try await Self.viewState(view, token: globex, client: client) }
        }
        #expect(seededAnswers.views == pristineAnswers.views && seededAnswers.views.count == 2, "the third tenant's parts are the initial ones")
        #expect(seededAnswers.socket == pristineAnswers.socket && seededAnswers.socket?.contains("\"snapshot\"") == true, "\(seededAnswers.socket ?? "-") against \(pristineAnswers.socket ?? "-")")
        for secret in [Self.mark, "4242"] + seededIDs.ids { #expect(seededAnswers.socket?.contains(secret) == false) }
        var checked = 0
        for route in routes {
            let seeded = try #require(seededAnswers.answers[route])
            let pristine = try #require(pristineAnswers.answers[route])
            #expect(seeded.status == pristine.status, "\(route): \(seeded.status) where nothing of acme exists: \(pristine.status)\n\(seeded.body)")
            #expect(seeded.problemType == pristine.problemType, "\(route): \(seeded.problemType ?? "-") against \(pristine.problemType ?? "-")")
            for secret in [Self.mark, "acme", "4242"] + seededIDs.ids {
                #expect(!seeded.body.contains(secret), "\(route) shows \(secret): \(seeded.body.prefix(400))")
            }
            checked += 1
        }
        #expect(checked >= 30)
    }
}

/// Answers gathered inside a server's closure.
private final class AnswerBox: @unchecked Sendable {
    var answers: [String: TenantIsolationTests.Answer] = [:]
    var views: [String: String] = [:]
    var socket: String?
    var ids: [String] = []
}

extension Array {
    /// `transform` applied to each element in turn.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
