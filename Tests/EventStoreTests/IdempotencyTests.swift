import EventModel
import Foundation
import LMDB
import Projections
import Testing

@testable import EventStore
import EventStoreTesting

@Suite("Idempotency keys: a request sent again is answered as the first was, and writes nothing")
struct IdempotencyTests {
    private static let sku = StreamName(object: try! ObjectKey(parsing: "inventory/retried"))

    private static func key(_ key: String, _ body: String) throws -> IdempotencyKey {
        try IdempotencyKey(key, request: [Array(body.utf8)])
    }

    private static func restock(_ qty: Int, key: String?, on stream: StreamName = sku) throws -> CommandRequest {
        CommandRequest(stream: stream, command: "restock", body: ["qty": .number(Double(qty))], idempotencyKey: try key.map { try Self.key($0, "restock \(qty)") })
    }

    private static func available(_ test: TestStore, _ stream: StreamName = sku) throws -> Int? {
        let read = try test.store.readView(BundledTypes.inventory.views[0], of: stream)
        let state = try read.map { try $0.state.withUnsafeBytes { try JSONValue(parsing: $0) } }
        return state?["available"]?.integerValue.map { Int($0) }
    }

    /// The entries of the `idempotency` database.
    private static func entries(_ test: TestStore) throws -> Int {
        try test.store.read { transaction in
            try transaction.withCursor(test.store.layout.idempotency) { cursor in
                var count = 0
                var entry = try cursor.first()
                while entry != nil {
                    count += 1
                    entry = try cursor.next()
                }
                return count
            }
        }
    }

    @Test("a command sent twice with one key is applied once; the second answer is the first's, marked replayed")
    func commandOnce() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let first = try await test.store.run(try Self.restock(10, key: "k-1"))
        let position = test.store.commits.committedPosition
        let second = try await test.store.run(try Self.restock(10, key: "k-1"))
        #expect(!first.isReplay && second.isReplay)
        #expect(second.events == first.events && second.version == first.version && second.firstPosition == first.firstPosition)
        #expect(test.store.commits.committedPosition == position, "nothing written")
        #expect(try Self.available(test) == 10)
        // Without a key the same command is a new one.
        _ = try await test.store.run(try Self.restock(10, key: nil))
        #expect(try Self.available(test) == 20)
    }

    @Test("the same key for another body, another kind of request or on another object")
    func otherRequests() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        _ = try await test.store.run(try Self.restock(10, key: "k-2"))
        await #expect(throws: EventStoreError.idempotencyKeyReused(key: "k-2")) { _ = try await test.store.run(try Self.restock(11, key: "k-2")) }
        var append = try TestEvents.request("inventory/retried", [("Restocked", #"{"qty":1}"#)])
        append.idempotencyKey = try Self.key("k-2", "restock 10")
        await #expect(throws: EventStoreError.idempotencyKeyReused(key: "k-2"), "a command's key is not an append's") {
            _ = try await test.store.append(append)
        }
        let other = StreamName(object: try ObjectKey(parsing: "inventory/other"))
        let elsewhere = try await test.store.run(try Self.restock(10, key: "k-2", on: other))
        let elsewhereAvailable = try Self.available(test, other)
        #expect(!elsewhere.isReplay && elsewhereAvailable == 10, "keys are per object branch")
        #expect(try Self.available(test) == 10)
    }

    @Test("an append sent twice with one key answers the same numbers and writes nothing, also after a restart")
    func appendOnceAcrossRestart() async throws {
        let test = try TestStore.open()
        defer { test.directory.remove() }
        var request = try TestEvents.deposits("account/retried", count: 3)
        request.idempotencyKey = try Self.key("upload-7", "three deposits")
        let first = try await test.store.append(request)
        let again = try await test.store.append(request)
        #expect(again.isReplay && again.firstSeq == first.firstSeq && again.lastSeq == first.lastSeq && again.firstPosition == first.firstPosition)
        #expect(again.timeMilliseconds == first.timeMilliseconds)
        await test.close()
        let reopened = try test.reopened()
        let afterRestart = try await reopened.store.append(request)
        #expect(afterRestart.isReplay && afterRestart.lastPosition == first.lastPosition)
        #expect(try reopened.store.allEvents(of: "account/retried").count == 3)
        await reopened.close()
    }

    @Test("a refused command is not remembered: sent again, it is decided again")
    func refusalNotRemembered() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let reserve = CommandRequest(
            stream: Self.sku, command: "reserve", body: ["orderId": "o-1", "qty": 3], idempotencyKey: try Self.key("r-1", "reserve 3"))
        await #expect(throws: EventStoreError.self) { _ = try await test.store.run(reserve) }
        _ = try await test.store.run(try Self.restock(5, key: nil))
        let reserved = try await test.store.run(reserve)
        #expect(!reserved.isReplay && reserved.events.map(\.type).contains("Reserved"))
        #expect(try await test.store.run(reserve).isReplay)
    }

    @Test("requests with one key sent at once: one is applied, the others answered with it")
    func concurrentRetries() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let outcomes = try await withThrowingTaskGroup(of: CommandOutcome.self) { group in
            for _ in 0..<16 { group.addTask { try await test.store.run(try Self.restock(4, key: "burst")) } }
            return try await group.reduce(into: [CommandOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0.isReplay }.count == 1 && Set(outcomes.map(\.version)) == [1])
        #expect(try Self.available(test) == 4)
    }

    @Test("after the window a key is forgotten and purged by the writer")
    func window() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.idempotencyWindowMilliseconds = 60_000 }
        defer { Task { await test.destroy() } }
        _ = try await test.store.run(try Self.restock(2, key: "w-1"))
        #expect(try Self.entries(test) == 2, "the answer and its place in the purge index")
        test.clock.advance(byMilliseconds: 30_000)
        #expect(try await test.store.run(try Self.restock(2, key: "w-1")).isReplay)
        test.clock.advance(byMilliseconds: 30_001)
        // The next write purges it; the same key is then a new request.
        _ = try await test.store.run(try Self.restock(1, key: nil))
        #expect(try Self.entries(test) == 0)
        let fresh = try await test.store.run(try Self.restock(2, key: "w-1"))
        let available = try Self.available(test)
        #expect(!fresh.isReplay && available == 5)
    }
}
