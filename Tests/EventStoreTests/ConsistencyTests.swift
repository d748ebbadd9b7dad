import EventModel
import EventStore
import EventStoreTesting
import Testing

@Suite("Versions, idempotency and concurrency")
struct ConsistencyTests {
    @Test("expected version: absent appends anywhere, 0 needs a new object, N needs head N")
    func expectedVersions() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        _ = try await test.store.append(TestEvents.deposits("account/v", count: 1, expected: .exactly(0)))
        await #expect(throws: EventStoreError.versionConflict(stream: StreamName(object: try ObjectKey(parsing: "account/v")), expected: 0, actual: 1)) {
            try await test.store.append(TestEvents.deposits("account/v", count: 1, expected: .exactly(0)))
        }
        await #expect(throws: EventStoreError.self) { try await test.store.append(TestEvents.deposits("account/v", count: 1, expected: .exactly(5))) }
        let ok = try await test.store.append(TestEvents.deposits("account/v", count: 2, expected: .exactly(1)))
        #expect(ok.lastSeq == 3)
        _ = try await test.store.append(TestEvents.deposits("account/v", count: 1))
        #expect(try test.store.allEvents(of: "account/v").count == 4)
        #expect(try test.store.wholeLog().count == 4, "refused appends wrote nothing")
    }

    @Test("a retried request gets its original numbers back, whatever its expected version")
    func idempotentRetry() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let ids = [EventID(parsing: "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c01"), EventID(parsing: "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c02")]
        let request = try TestEvents.request("account/i", [("Deposited", "{}"), ("Deposited", "{}")], ids: ids, expected: .exactly(0))
        let original = try await test.store.append(request)
        _ = try await test.store.append(TestEvents.deposits("account/other", count: 1))
        let retry = try await test.store.append(request)
        #expect(retry.isDuplicate)
        #expect(retry.firstSeq == original.firstSeq && retry.lastSeq == original.lastSeq)
        #expect(retry.firstPosition == original.firstPosition && retry.lastPosition == original.lastPosition)
        #expect(try test.store.wholeLog().count == 3)

        // Part of the ids again, or the same ids for another object: a conflict, nothing written.
        let partial = try TestEvents.request("account/i", [("Deposited", "{}"), ("Deposited", "{}")], ids: [ids[0], nil])
        await #expect(throws: EventStoreError.self) { try await test.store.append(partial) }
        let elsewhere = try TestEvents.request("account/j", [("Deposited", "{}"), ("Deposited", "{}")], ids: ids)
        await #expect(throws: EventStoreError.self) { try await test.store.append(elsewhere) }
        let reordered = try TestEvents.request("account/i", [("Deposited", "{}"), ("Deposited", "{}")], ids: [ids[1], ids[0]])
        await #expect(throws: EventStoreError.self) { try await test.store.append(reordered) }
        #expect(try test.store.wholeLog().count == 3)
    }

    @Test("16 concurrent tasks on one object and on many: dense seqs and positions, no duplicates", arguments: [1, 16])
    func concurrentAppends(objects: Int) async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let tasks = 16
        let perTask = 40
        let outcomes = try await withThrowingTaskGroup(of: [AppendOutcome].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var outcomes: [AppendOutcome] = []
                    for round in 0..<perTask {
                        let object = "account/c-\((task + round) % objects)"
                        outcomes.append(try await test.store.append(TestEvents.deposits(object, count: 1 + round % 3)))
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let total = outcomes.reduce(0) { $0 + Int($1.lastSeq - $1.firstSeq + 1) }
        let log = try test.store.wholeLog()
        #expect(log.count == total)
        #expect(log.map(\.position) == Array(1...UInt64(total)))
        #expect(Set(log.map(\.id)).count == total)
        for index in 0..<objects {
            let seqs = try test.store.allEvents(of: "account/c-\(index)").map(\.seq)
            #expect(seqs == Array(1...UInt64(seqs.count)))
        }
        // Every acknowledged range is exactly where the answer said.
        for outcome in outcomes {
            let events = log[Int(outcome.firstPosition - 1)...Int(outcome.lastPosition - 1)]
            #expect(events.map(\.seq) == Array(outcome.firstSeq...outcome.lastSeq))
            #expect(Set(events.map(\.object)) == [outcome.stream.object.description])
        }
    }

    @Test("concurrent appends with the same expected version: exactly one wins")
    func conflictingWriters() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        _ = try await test.store.append(TestEvents.deposits("account/race", count: 1))
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask { (try? await test.store.append(TestEvents.deposits("account/race", count: 1, expected: .exactly(1)))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try test.store.allEvents(of: "account/race").count == 2)
    }
}
