import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

/// Restocks `inventory/mirror-ID` by what `inventory/src-ID` was restocked by, and reserves as
/// much from `inventory/empty` (which has no stock: refused, every time).
private struct MirrorReaction: Reaction {
    let name = "mirror"
    var eventTypes: [String] { ["Restocked"] }

    func react(to event: LogEvent) -> [ReactionCommand] {
        guard event.object.type.name == "inventory", event.object.id.value.hasPrefix("src-"), let qty = event.event.data["qty"] else { return [] }
        let id = event.object.id.value.dropFirst("src-".count)
        return [
            ReactionCommand(object: "inventory/mirror-\(id)", command: "restock", body: ["qty": qty]),
            ReactionCommand(object: "inventory/empty", command: "reserve", body: ["qty": qty, "orderId": .string("o-\(event.event.id)")]),
        ]
    }
}

/// Reactions run from the log: each triggering event's commands once, refusals as facts.
@Suite("Reactions: objects driving objects, exactly once")
struct ReactionTests {
    private static func restock(_ store: EventStore, _ object: String, _ qty: Int, tenant: Tenant = .default) async throws {
        _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object, tenant: tenant)), command: "restock", body: ["qty": .number(Double(qty))]))
    }

    private static func available(_ store: EventStore, _ object: String, tenant: Tenant = .default) throws -> Int {
        let definition = try #require(store.objectTypes["inventory"])
        let view = try #require(definition.views.first { $0.name == "stock" })
        let stream = StreamName(object: try ObjectKey(parsing: object, tenant: tenant))
        guard try store.version(of: stream) > 0 else { return 0 }
        let answer = try store.answer(.state, of: view, for: stream, at: .head)
        let state = try answer.json.withUnsafeBytes { try JSONValue(parsing: $0) }
        return state["state"]?["available"]?.integerValue ?? state["available"]?.integerValue ?? -1
    }

    @Test("every triggering event's commands are applied once, in small steps and across a restart; a refused one is a CommandRefused fact")
    func exactlyOnce() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all, reactions: [AnyReaction(MirrorReaction())])
        for round in 0..<3 {
            for n in 1...4 { try await Self.restock(test.store, "inventory/src-\(n)", n + round) }
        }
        try await Self.restock(test.store, "inventory/unrelated", 7)
        // Small steps, a restart between them.
        #expect(try await test.store.runReactions(limit: 5) == 5)
        await test.close()
        test = try test.reopened()
        while try await test.store.runReactions(limit: 3, commandsMax: 2) > 0 {}
        for n in 1...4 { #expect(try Self.available(test.store, "inventory/mirror-\(n)") == 3 * n + 3, "mirror-\(n)") }
        #expect(try Self.available(test.store, "inventory/empty") == 0)
        let facts = try test.store.allEvents(of: "reaction/mirror")
        #expect(facts.count == 12 && facts.allSatisfy { $0.type == "CommandRefused" && $0.data.contains("INSUFFICIENT_STOCK") }, "\(facts.map(\.data))")
        // Its own facts moved the log on; it passes over them, and stops at the head.
        #expect(try test.store.reactionPosition("mirror") == test.store.commits.committedPosition)
        #expect(try await test.store.runReactions() == 0)
        await test.destroy()
    }

    @Test("a step applied after the reaction moved is refused whole: nothing twice")
    func stepRefusedOnceMoved() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, reactions: [AnyReaction(MirrorReaction())])
        try await Self.restock(test.store, "inventory/src-1", 5)
        let step = try #require(try test.store.reactionStep(AnyReaction(MirrorReaction()), limit: 100, commandsMax: 100))
        _ = try await test.store.submit { .react(step, $0) }
        await #expect(throws: EventStoreError.self) { _ = try await test.store.submit { .react(step, $0) } }
        #expect(try Self.available(test.store, "inventory/mirror-1") == 5)
        #expect(try test.store.allEvents(of: "reaction/mirror").count == 1)
        await test.destroy()
    }

    @Test("a tenant's events cause commands to that tenant's objects, and its refusals are its facts")
    func tenants() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, reactions: [AnyReaction(MirrorReaction())])
        let acme = try Tenant("acme")
        try await Self.restock(test.store, "inventory/src-1", 4, tenant: acme)
        while try await test.store.runReactions() > 0 {}
        #expect(try Self.available(test.store, "inventory/mirror-1", tenant: acme) == 4)
        #expect(try Self.available(test.store, "inventory/mirror-1") == 0)
        #expect(try test.store.allEvents(of: "reaction/mirror", tenant: acme).count == 1)
        #expect(try test.store.allEvents(of: "reaction/mirror").isEmpty)
        await test.destroy()
    }

    @Test("positions that cause nothing move a reaction without a transaction; after a restart it runs over them again, causing nothing")
    func nothingCausedNothingWritten() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all, reactions: [AnyReaction(MirrorReaction())])
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 50))
        let head = test.store.commits.committedPosition
        #expect(try await test.store.runReactions() == 50)
        #expect(test.store.commits.committedPosition == head, "no commit for nothing")
        #expect(try test.store.reactionPosition("mirror") == head)
        // Something to do: the step is stored with its position, past the positions before it.
        try await Self.restock(test.store, "inventory/src-1", 2)
        while try await test.store.runReactions() > 0 {}
        #expect(try Self.available(test.store, "inventory/mirror-1") == 2)
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 5))
        while try await test.store.runReactions() > 0 {}
        let reached = try test.store.reactionPosition("mirror")
        await test.close()
        test = try test.reopened()
        let stored = try test.store.reactionPosition("mirror")
        #expect(stored < reached, "the stretch that caused nothing was not stored")
        #expect(try await test.store.runReactions() == Int(reached - stored))
        #expect(try Self.available(test.store, "inventory/mirror-1") == 2, "nothing caused twice")
        await test.destroy()
    }
}
