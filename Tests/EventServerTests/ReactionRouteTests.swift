import EventModel
import EventStore
import EventStoreTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Projections
import Testing

@testable import EventServer

/// `GET /v1/reactions`, pause and resume, with the bundled checkout saga run by the server's
/// `ReactionService`, and every event the saga writes checked against `Schemas/`.
@Suite("Reactions over HTTP: status, pause and resume; the checkout saga's events fit their schemas")
struct ReactionRouteTests {
    /// Runs `body` against a router over a store running the bundled reactions in a
    /// `ReactionService`, with the repository's schemas.
    private static func withReactingServer(_ body: @Sendable (any TestClientProtocol, TestStore, ServerMetrics) async throws -> Void) async throws {
        let metrics = ServerMetrics()
        let test = try TestStore.open(objectTypes: BundledTypes.all, logViews: BundledTypes.logViews, reactions: BundledTypes.reactions, observer: metrics)
        var configuration = ServerConfiguration()
        configuration.schemas = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
        let router = EventServer.makeRouter(store: test.store, configuration: configuration, metrics: metrics, streams: LogStreamHub())
        let service = Task { try await ReactionService(store: test.store, metrics: metrics, logger: quietLogger).run() }
        do {
            try await Application(router: router).test(.router) { client in try await body(client, test, metrics) }
        } catch {
            service.cancel()
            _ = await service.result
            await test.destroy()
            throw error
        }
        service.cancel()
        _ = await service.result
        await test.destroy()
    }

    /// Waits (at most 10 s) until `condition` holds.
    private static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<1_000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(what): not after 10 s")
    }

    private static func orderStatus(_ client: any TestClientProtocol, _ order: String) async throws -> String? {
        let answer = try await client.get("/v1/objects/order/\(order)/views/order")
        return (answer.json["state"] as? [String: Any])?["status"] as? String
    }

    @Test("the checkout reaction's status; paused, orders wait where they are; resumed, they go on; a refusal is listed")
    func pauseAndResume() async throws {
        try await Self.withReactingServer { client, test, metrics in
            for sku in ["a", "b"] { #expect(try await client.post("/v1/objects/inventory/\(sku)/commands/restock", #"{"qty": 3}"#).status == .ok) }
            let place = #"{"customerId": "c-1", "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 1}]}"#
            #expect(try await client.post("/v1/objects/order/o-1/commands/place", place).status == .ok)
            try await Self.eventually("o-1 awaits payment") { try await Self.orderStatus(client, "o-1") == "awaiting-payment" }

            let paused = try await client.post("/v1/reactions/checkout/pause", "")
            #expect(paused.status == .ok && paused.json["paused"] as? Bool == true, "\(paused.text)")
            #expect(try await client.post("/v1/objects/order/o-1/commands/pay", "{}").status == .ok)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.orderStatus(client, "o-1") == "awaiting-payment", "nothing moves while paused")
            let listed = try await client.get("/v1/reactions")
            let checkout = try #require((listed.json["reactions"] as? [[String: Any]])?.first)
            #expect(checkout["name"] as? String == "checkout" && checkout["paused"] as? Bool == true)
            #expect((checkout["lag"] as? Int ?? 0) >= 1, "the payment waits: \(checkout)")

            #expect(try await client.post("/v1/reactions/checkout/resume", "").json["paused"] as? Bool == false)
            try await Self.eventually("o-1 confirmed") { try await Self.orderStatus(client, "o-1") == "confirmed" }

            // A line short of stock: a refusal, listed with the command and the event that caused it.
            let short = #"{"customerId": "c-1", "lines": [{"sku": "a", "qty": 9}]}"#
            #expect(try await client.post("/v1/objects/order/o-2/commands/place", short).status == .ok)
            try await Self.eventually("o-2 failed") { try await Self.orderStatus(client, "o-2") == "failed" }
            try await Self.eventually("lag 0") {
                let status = try await client.get("/v1/reactions?refusals=5").json["reactions"] as? [[String: Any]]
                return status?.first?["lag"] as? Int == 0
            }
            let status = try #require((try await client.get("/v1/reactions?refusals=5").json["reactions"] as? [[String: Any]])?.first)
            #expect(status["refusals"] as? Int == 1)
            let refusal = try #require((status["lastRefusals"] as? [[String: Any]])?.first?["data"] as? [String: Any])
            #expect(refusal["object"] as? String == "inventory/a" && refusal["command"] as? String == "reserve" && refusal["code"] as? String == "INSUFFICIENT_STOCK")
            #expect((refusal["body"] as? [String: Any])?["orderId"] as? String == "o-2")

            let exposition = try await client.get("/metrics").text
            #expect(exposition.contains(#"evlog_reaction_commands_total{reaction="checkout",outcome="refused"} 1"#), "\(exposition.split(separator: "\n").filter { $0.contains("reaction") })")
            #expect(exposition.contains(#"evlog_reaction_lag_events{reaction="checkout"} 0"#))
            _ = metrics
            _ = test
        }
    }

    @Test("an unknown reaction is 404 reaction-not-found naming those there are; refusals out of range is 400; clients cannot write reaction facts")
    func badRequests() async throws {
        try await Self.withReactingServer { client, _, _ in
            let missing = try await client.post("/v1/reactions/nope/pause", "")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/reaction-not-found")
            #expect((missing.json["detail"] as? String)?.contains("checkout") == true)
            let range = try await client.get("/v1/reactions?refusals=5000")
            #expect(range.status == .badRequest && range.json["field"] as? String == "refusals")
            let forged = try await client.post("/v1/objects/reaction/checkout/events", #"{"events": [{"type": "CommandRefused", "data": {}}]}"#)
            #expect(forged.status == .badRequest || forged.status == .unprocessableContent, "\(forged.status) \(forged.text)")
            let step = try await client.post("/v1/objects/checkout/o-1/commands/paid", "{}")
            #expect(step.status == .forbidden && step.json["code"] as? String == "SAGA_STEP", "\(step.text)")
        }
    }

    @Test("every event the saga's ways to end write fits Schemas/: order, checkout, inventory and reaction objects")
    func eventsFitTheirSchemas() async throws {
        try await Self.withReactingServer { client, test, _ in
            for sku in ["a", "b"] { _ = try await client.post("/v1/objects/inventory/\(sku)/commands/restock", #"{"qty": 5}"#) }
            let orders = [
                ("o-1", #"[{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]"#), ("o-2", #"[{"sku": "a", "qty": 1}, {"sku": "b", "qty": 50}]"#),
                ("o-3", #"[{"sku": "a", "qty": 1}]"#),
            ]
            for (order, lines) in orders {
                #expect(try await client.post("/v1/objects/order/\(order)/commands/place", #"{"customerId": "c-9", "lines": \#(lines), "paymentSeconds": 60}"#).status == .ok)
            }
            try await Self.eventually("o-1 and o-3 await payment") {
                let first = try await Self.orderStatus(client, "o-1")
                let third = try await Self.orderStatus(client, "o-3")
                return first == "awaiting-payment" && third == "awaiting-payment"
            }
            _ = try await client.post("/v1/objects/order/o-1/commands/pay", "{}")
            _ = try await client.post("/v1/objects/order/o-3/commands/cancel", #"{"reason": "no longer needed"}"#)
            try await Self.eventually("every order ended") {
                for (order, _) in orders {
                    let status = try await Self.orderStatus(client, order)
                    guard status == "confirmed" || status == "failed" else { return false }
                }
                return true
            }
            let schemas = try SchemaCatalog.load(directory: repositorySchemas, allowsUndeclared: false)
            var types: Set<String> = []
            for event in try test.store.wholeLog() where !event.type.hasPrefix("Timer") {
                let key = try ObjectKey(parsing: event.object)
                types.insert(event.type)
                let data = try JSONValue(parsing: event.data)
                let verdict = schemas.validate(objectType: key.type, eventTypes: [event.type], data: [data])
                #expect(verdict == .valid, "\(event.object) \(event.type) \(event.data): \(verdict)")
            }
            #expect(
                types.isSuperset(of: [
                    "OrderPlaced", "OrderAwaitingPayment", "OrderPaid", "OrderCancelRequested", "OrderConfirmed", "OrderFailed", "CheckoutStarted",
                    "LineReserved", "LineRefused", "PaymentAwaited", "PaymentReceived", "ConfirmRequested", "LineConfirmed", "CheckoutCompleted",
                    "CheckoutFailing", "ReleaseRequested", "LineReleased", "CheckoutFailed", "CommandRefused",
                ]), "\(types.sorted())")
        }
    }
}
