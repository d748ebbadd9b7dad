import EventModel
import EventStore
import EventStoreTesting
import Foundation
import Projections
import Testing

@testable import EventServer

@Suite("The subscribers' hub: a commit wakes only those it concerns; waits and stalled writes are timed by one clock")
struct LogStreamHubTests {
    private static func restock(_ store: EventStore, _ object: String) async throws {
        _ = try await store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: object)), command: "restock", body: ["qty": 1]))
    }

    @Test("a commit to inventory/a wakes its object's followers and the filters it passes, no other; they leave the index empty")
    func wakesOnlyTheConcerned() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let hub = LogStreamHub()
        let store = test.store
        let interests: [(String, Subscriber.Interest, Bool)] = [
            ("the object's WebSocket", .stream(StreamName(object: try ObjectKey(parsing: "inventory/a"))), true),
            ("another object's", .stream(StreamName(object: try ObjectKey(parsing: "inventory/b"))), false),
            ("a branch of the object", .stream(StreamName(object: try ObjectKey(parsing: "inventory/a"), branch: try BranchName("what-if"))), false),
            ("a filter naming the object", .log(ConsumerFilter(objects: ["inventory/a"])), true),
            ("a filter naming another object", .log(ConsumerFilter(objects: ["inventory/b"])), false),
            ("a filter of its type", .log(ConsumerFilter(objectTypes: ["inventory"])), true),
            ("a filter of another type", .log(ConsumerFilter(objectTypes: ["building"])), false),
            ("a filter of its type's prefix", .log(ConsumerFilter(objectPrefixes: ["inventory/a"])), true),
            ("a filter of another event type", .log(ConsumerFilter(eventTypes: ["Reserved"])), false),
            ("no filter", .log(ConsumerFilter()), true),
            ("another tenant's", .log(ConsumerFilter().within(try Tenant("acme"))), false),
        ]
        let woken = AsyncCondition<[String: Bool]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            let ready = AsyncCondition(0)
            for (name, interest, concerned) in interests {
                group.addTask {
                    await hub.subscribe(interest, store: store) { subscriber in
                        ready.update { $0 += 1 }
                        // Concerned ones are woken (long before 30 s); the others wait out their
                        // time, unless the commit wakes them too.
                        let signalled = await subscriber.wait(timeout: concerned ? .seconds(30) : .milliseconds(1_500))
                        woken.update { $0[name] = signalled }
                    }
                }
            }
            await ready.wait { $0 == interests.count }
            try await Self.restock(store, "inventory/a")
            try await group.waitForAll()
        }
        for (name, _, concerned) in interests {
            #expect(woken.value[name] == concerned, "\(name): \(concerned ? "woken" : "left alone")")
        }
        #expect(hub.subscriberCount == 0, "every subscriber left the index")
    }

    @Test("a subscriber signalled before it waits returns at once; a wait with nothing ends on the clock; close ends every wait")
    func waits() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let hub = LogStreamHub()
        let object = StreamName(object: try ObjectKey(parsing: "inventory/w"))
        try await hub.subscribe(.stream(object), store: test.store) { subscriber in
            try await Self.restock(test.store, "inventory/w")
            #expect(await subscriber.wait(timeout: .seconds(30)), "the commit before the wait is not missed")
            #expect(await subscriber.wait(timeout: .milliseconds(200)) == false, "nothing since: the clock ends the wait")
            let waiting = Task { await subscriber.wait(timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(100))
            hub.close()
            #expect(await waiting.value, "close ends the wait")
        }
    }

    @Test("the followed position passes the commits that do not concern a subscriber, and stops at one that does until it is taken")
    func followedPosition() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let hub = LogStreamHub()
        let store = test.store
        /// Waits (a bounded number of short sleeps) for the hub to have followed the store's head.
        func followedHead() async throws -> Position {
            let head = store.commits.committedPosition
            for _ in 0..<500 where hub.followedPosition < head { try await Task.sleep(for: .milliseconds(10)) }
            return head
        }
        try await hub.subscribe(.log(ConsumerFilter(objects: ["inventory/mine"])), store: store) { subscriber in
            try await Self.restock(store, "inventory/other")
            try await Self.restock(store, "inventory/other")
            let head = try await followedHead()
            #expect(hub.followedPosition == head && head == 2)
            #expect(subscriber.takeSignal() == false, "two commits followed, neither for it")
            try await Self.restock(store, "inventory/mine")
            _ = try await followedHead()
            #expect(subscriber.takeSignal(), "the commit to inventory/mine signalled it")
            #expect(subscriber.takeSignal() == false, "taken once")
        }
    }

    @Test("a write that does not return within its timeout is reported once, to close its connection")
    func stalledWrite() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        let hub = LogStreamHub()
        let stalls = AsyncCondition(0)
        try await hub.subscribe(.log(ConsumerFilter()), store: test.store, onStall: { stalls.update { $0 += 1 } }) { subscriber in
            try await subscriber.write(timeout: .seconds(5)) {}
            let write = Task {
                try await subscriber.write(timeout: .milliseconds(200)) {
                    // A peer that never reads: the write only ends when the connection goes.
                    await stalls.wait { $0 > 0 }
                }
            }
            try await write.value
            try await Task.sleep(for: .milliseconds(400))
        }
        #expect(stalls.value == 1, "reported once: \(stalls.value)")
    }
}
