import EventModel
import EventStore
import EventStoreTesting
import Projections
import Testing

@testable import EventServer

/// Restocks `inventory/copy-ID` by what `inventory/ID` was restocked by (IDs not starting with `copy-`).
private struct CopyReaction: Reaction {
    let name = "copy"
    var eventTypes: [String] { ["Restocked"] }

    func react(to event: LogEvent) -> [ReactionCommand] {
        guard !event.object.id.value.hasPrefix("copy-"), let qty = event.event.data["qty"] else { return [] }
        return [ReactionCommand(object: "inventory/copy-\(event.object.id.value)", command: "restock", body: ["qty": qty])]
    }
}

@Suite("ReactionService: a server runs its reactions as commits come")
struct ReactionServiceTests {
    @Test("each commit's events cause their commands while the service runs, and its lag reaches 0")
    func runsAsCommitsCome() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all, reactions: [AnyReaction(CopyReaction())])
        let metrics = ServerMetrics()
        let service = Task { try await ReactionService(store: test.store, metrics: metrics, logger: quietLogger).run() }
        for n in 1...5 {
            _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(n)")), command: "restock", body: ["qty": 2]))
        }
        // Waits (at most 10 s) for the service to run over every commit, its own included.
        var waited = 0
        while try test.store.reactionPosition("copy") < test.store.commits.committedPosition || test.store.version(of: StreamName(object: try ObjectKey(parsing: "inventory/copy-sku-5"))) == 0,
            waited < 1_000
        {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        for n in 1...5 { #expect(try test.store.version(of: StreamName(object: try ObjectKey(parsing: "inventory/copy-sku-\(n)"))) == 1, "copy-sku-\(n)") }
        #expect(try test.store.reactionPosition("copy") == test.store.commits.committedPosition)
        // Positions that caused nothing (copies' own restocks) are stored when the service stops.
        _ = try await test.store.append(TestEvents.deposits("account/x", count: 3))
        let head = test.store.commits.committedPosition
        while try test.store.reactionPosition("copy") < head { try await Task.sleep(for: .milliseconds(10)) }
        service.cancel()
        _ = await service.result
        await test.close()
        let reopened = try test.reopened()
        #expect(try reopened.store.reactionPosition("copy") == head, "stored at the stop")
        await reopened.destroy()
    }
}
