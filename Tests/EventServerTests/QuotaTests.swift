import Access
import EventModel
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import EventServer

/// Quotas per tenant: 429 quota-exceeded naming the quota, with Retry-After, and the other
/// tenants served as before.
@Suite("Quotas: a tenant over one is refused with 429, the others go on")
struct QuotaTests {
    /// A clock the test moves, in seconds.
    private final class Seconds: Sendable {
        let now = Mutex<Double>(0)
    }

    private static func token(_ tenant: String, _ configuration: AccessConfiguration) async throws -> HTTPFields {
        let token = try await TokenMinter.token(
            TokenClaims(tenant: tenant, scopes: Set(Scope.allCases), expires: Date(timeIntervalSinceNow: 600), audience: "evlog"), kid: "k", configuration: configuration)
        return [.contentType: "application/json", .authorization: "Bearer \(token)"]
    }

    private static func problem(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
    }

    @Test("events per second, objects and consumers: each refused past its limit, with its name and Retry-After; other tenants untouched")
    func quotas() async throws {
        let configuration = try AccessRouteTests.configuration()
        let verifier = try await TokenVerifier(configuration: configuration)
        let clock = Seconds()
        let quotas = TenantQuotas(
            ["acme": AccessConfiguration.Quota(eventsPerSecond: 3, objects: 2, consumers: 1), "*": AccessConfiguration.Quota(objects: 100)],
            clock: { clock.now.withLock { $0 } })
        let acme = try await Self.token("acme", configuration)
        let globex = try await Self.token("globex", configuration)
        try await withServer(server: { $0.access = verifier; $0.quotas = quotas }) { client, _, _ in
            // Rate: three events, then the fourth is too soon; another tenant is not slowed.
            for _ in 0..<3 { #expect(try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: acme).status == .ok) }
            let refused = try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: acme)
            #expect(refused.status == .tooManyRequests)
            #expect(Self.problem(refused)["type"] as? String == "/problems/quota-exceeded")
            #expect(Self.problem(refused)["quota"] as? String == "eventsPerSecond" && Self.problem(refused)["limit"] as? Int == 3)
            #expect(refused.headers[.retryAfter] == "1")
            for _ in 0..<10 { #expect(try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: globex).status == .ok) }
            clock.now.withLock { $0 += 1 }
            // An append takes as many as it has events.
            let events = #"{"events": [{"type": "Restocked", "data": {"qty": 1}}, {"type": "Restocked", "data": {"qty": 1}}]}"#
            #expect(try await client.post("/v1/objects/inventory/a/events", events, headers: acme).status == .created)
            let second = try await client.post("/v1/objects/inventory/a/events", events, headers: acme)
            #expect(second.status == .tooManyRequests && second.headers[.retryAfter] == "1")
            #expect(try await client.execute(uri: "/v1/objects/inventory/a/events", method: .get, headers: acme).status == .ok, "reads are not counted")

            // Objects: a is one, b the second, c one too many; an existing object still takes events.
            clock.now.withLock { $0 += 10 }
            #expect(try await client.post("/v1/objects/inventory/b/commands/restock", #"{"qty": 1}"#, headers: acme).status == .ok)
            let third = try await client.post("/v1/objects/inventory/c/commands/restock", #"{"qty": 1}"#, headers: acme)
            #expect(third.status == .tooManyRequests && Self.problem(third)["quota"] as? String == "objects")
            #expect(try await client.post("/v1/objects/inventory/b/commands/restock", #"{"qty": 1}"#, headers: acme).status == .ok)
            #expect(try await client.post("/v1/objects/inventory/c/commands/restock", #"{"qty": 1}"#, headers: globex).status == .ok)

            // Consumers: one; replacing it is fine, a second is refused.
            #expect(try await client.execute(uri: "/v1/consumers/one", method: .put, headers: acme, body: ByteBuffer(string: "{}")).status == .created)
            #expect(try await client.execute(uri: "/v1/consumers/one", method: .put, headers: acme, body: ByteBuffer(string: "{}")).status == .ok)
            let two = try await client.execute(uri: "/v1/consumers/two", method: .put, headers: acme, body: ByteBuffer(string: "{}"))
            #expect(two.status == .tooManyRequests && Self.problem(two)["quota"] as? String == "consumers")
            #expect(try await client.execute(uri: "/v1/consumers/two", method: .put, headers: globex, body: ByteBuffer(string: "{}")).status == .created)
        }
    }

    @Test("bytes: refused once the events a tenant appended reach its quota; another tenant goes on")
    func bytes() async throws {
        let configuration = try AccessRouteTests.configuration()
        let verifier = try await TokenVerifier(configuration: configuration)
        let quotas = TenantQuotas(["*": AccessConfiguration.Quota(bytes: 300)])
        let acme = try await Self.token("acme", configuration)
        let globex = try await Self.token("globex", configuration)
        try await withServer(server: { $0.access = verifier; $0.quotas = quotas }) { client, test, _ in
            var accepted = 0
            var refused: TestResponse?
            for _ in 0..<50 {
                let response = try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: acme)
                guard response.status == .ok else {
                    refused = response
                    break
                }
                accepted += 1
            }
            let stored = try test.store.appendedBytes(of: try Tenant("acme"))
            #expect(accepted > 1 && stored >= 300, "\(accepted) commands, \(stored) bytes")
            let refusal = try #require(refused)
            #expect(refusal.status == .tooManyRequests && Self.problem(refusal)["quota"] as? String == "bytes")
            #expect(try await client.post("/v1/objects/inventory/a/commands/restock", #"{"qty": 1}"#, headers: globex).status == .ok)
        }
    }

    @Test("quotas in the access configuration: tenant names or *, rates above 0")
    func configuration() throws {
        let directory = NSTemporaryDirectory() + "quotas-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func load(_ quotas: String) throws(AccessError) -> AccessConfiguration {
            let path = directory + "/auth.json"
            try? #"{"keys": [{"kid": "k", "alg": "HS256", "secret": "\#(AccessRouteTests.secret)"}], "quotas": \#(quotas)}"#.write(toFile: path, atomically: true, encoding: .utf8)
            return try AccessConfiguration.load(path: path)
        }
        let loaded = try load(#"{"*": {"eventsPerSecond": 100}, "acme": {"objects": 5}}"#)
        #expect(loaded.quota(of: "acme") == AccessConfiguration.Quota(objects: 5))
        #expect(loaded.quota(of: "globex") == AccessConfiguration.Quota(eventsPerSecond: 100))
        #expect(throws: AccessError.self) { try load(#"{"Acme": {"objects": 5}}"#) }
        #expect(throws: AccessError.self) { try load(#"{"acme": {"eventsPerSecond": 0}}"#) }
        #expect(throws: AccessError.self) { try load(#"{"acme": {"objects": "many"}}"#) }
    }
}
