import EventModel
import EventStore
import EventStoreTesting
import Testing

@Suite("Appending and reading back")
struct AppendTests {
    @Test("an append is read back with dense seqs, positions and its commit time")
    func appendAndRead() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let first = try await test.store.append(TestEvents.deposits("account/a-1", count: 3))
        #expect(first.firstSeq == 1 && first.lastSeq == 3)
        #expect(first.firstPosition == 1 && first.lastPosition == 3)
        #expect(!first.isDuplicate)
        test.clock.advance(byMilliseconds: 5)
        let second = try await test.store.append(TestEvents.deposits("account/a-2", count: 1))
        #expect(second.firstSeq == 1 && second.lastPosition == 4)

        let events = try test.store.allEvents(of: "account/a-1")
        #expect(events.map(\.seq) == [1, 2, 3])
        #expect(events.map(\.position) == [1, 2, 3])
        #expect(events.map(\.data) == [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#])
        #expect(events.allSatisfy { $0.metadata == "{}" && $0.type == "Deposited" })
        #expect(events[0].timeMilliseconds == test.clock.nowMilliseconds() - 5)
        let log = try test.store.wholeLog()
        #expect(log.map(\.position) == [1, 2, 3, 4])
        #expect(log.map(\.object) == ["account/a-1", "account/a-1", "account/a-1", "account/a-2"])
        #expect(try test.store.version(of: StreamName(object: ObjectKey(parsing: "account/a-1"))) == 3)
    }

    @Test("commit times never go backwards, even when the clock does")
    func monotonicTime() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 1))
        test.clock.advance(byMilliseconds: -10_000)
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 1))
        let times = try test.store.allEvents(of: "account/a").map(\.timeMilliseconds)
        #expect(times[1] >= times[0])
    }

    @Test("reading a stream by pages: from, limit and next")
    func paging() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        // Interleave two objects so that account/p has several runs in the index.
        for round in 0..<5 {
            _ = try await test.store.append(TestEvents.deposits("account/p", count: 3, from: round * 3))
            _ = try await test.store.append(TestEvents.deposits("account/q", count: 1, from: round))
        }
        let stream = StreamName(object: try ObjectKey(parsing: "account/p"))
        var seqs: [Seq] = []
        var next: Seq? = 1
        while let from = next {
            let page = try #require(try test.store.readStream(stream, from: from, limit: 4) { seqs.append($0.seq) })
            #expect(page.version == 15)
            #expect(page.count <= 4)
            next = page.next
        }
        #expect(seqs == Array(1...15))
        var tail: [Seq] = []
        let last = try test.store.readStream(stream, from: 14, limit: 100) { tail.append($0.seq) }
        #expect(tail == [14, 15] && last?.next == nil)
        let beyond = try test.store.readStream(stream, from: 99, limit: 10) { _ in Issue.record("no event past the head") }
        #expect(beyond?.count == 0 && beyond?.next == nil)
        let unknown = try test.store.readStream(StreamName(object: try ObjectKey(parsing: "account/none")), limit: 10) { _ in }
        #expect(unknown == nil)
        // A byte budget ends a page early, after at least one event, and says where to go on.
        var budgeted: [Seq] = []
        let small = try test.store.readStream(stream, from: 1, limit: 100, bytesMax: 10) { budgeted.append($0.seq) }
        #expect(budgeted == [1, 2] && small?.next == 3, "each event holds 9 bytes of data and metadata")
        var logged = 0
        let logPage = try test.store.readLog(after: 0, limit: 100, bytesMax: 1) { _, _ in logged += 1 }
        #expect(logged == 1 && logPage.lastPosition == 1)
    }

    @Test("large payloads are compressed transparently")
    func compression() async throws {
        let test = try TestStore.open { $0.compressionThresholdBytes = 64 }
        defer { Task { await test.destroy() } }
        let text = String(repeating: "inventory-compression ", count: 200)
        let data = "{\"note\":\"\(text)\"}"
        _ = try await test.store.append(TestEvents.request("account/z", [("Noted", data)]))
        let events = try test.store.allEvents(of: "account/z")
        #expect(events.first?.data == data)
        let statistics = try test.store.statistics()
        #expect(statistics.map.usedBytes < 64 * 1024, "a 4 KiB payload of one repeated phrase should compress")
    }

    @Test("the log is read after a position, in pages")
    func logPages() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        for index in 0..<10 { _ = try await test.store.append(TestEvents.deposits("account/l-\(index % 3)", count: 2)) }
        var positions: [Position] = []
        var after: Position = 0
        while true {
            let page = try test.store.readLog(after: after, limit: 7) { event, _ in positions.append(event.position) }
            if page.count == 0 { break }
            after = page.lastPosition
        }
        #expect(positions == Array(1...20))
    }
}
