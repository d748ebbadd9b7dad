import EventModel
import Foundation
import Testing

@testable import EventStore
import EventStoreTesting
import Projections

@Suite("Storage: reopen, growth, limits, damage")
struct StorageTests {
    /// Flips one byte of the payload holding `marker` in the closed store's file, as a failing
    /// disk would: in every copy of it (a write copies the page it changes, the old copy stays).
    private static func damage(_ marker: String, in test: TestStore) throws {
        let file = test.store.configuration.directory + "/data.mdb"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let needle = Array(marker.utf8)
        let offsets = bytes.indices.filter { bytes[$0...].starts(with: needle) }
        try #require(!offsets.isEmpty, "\(marker) is in the file")
        for offset in offsets { bytes[offset + 3] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    @Test("everything acknowledged is there after close and reopen, and numbering continues")
    func reopen() async throws {
        let test = try TestStore.open()
        defer { test.directory.remove() }
        _ = try await test.store.append(TestEvents.deposits("account/r", count: 5))
        let before = try test.store.wholeLog()
        await test.close()
        let again = try test.reopened()
        #expect(try again.store.wholeLog() == before)
        let next = try await again.store.append(TestEvents.deposits("account/r", count: 1))
        #expect(next.firstSeq == 6 && next.firstPosition == 6)
        await again.close()
    }

    @Test("a second opener of a data folder is refused, naming the holder")
    func folderLock() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let refusal = #expect(throws: EventStoreError.self) {
            _ = try EventStore(configuration: test.store.configuration, holder: "second")
        }
        #expect(refusal == .dataFolderInUse(path: test.store.configuration.directory, holder: "test, pid \(getpid())"))
    }

    @Test("the map grows by itself from a tiny start; nothing is lost")
    func mapGrowth() async throws {
        let test = try TestStore.open { $0.mapSizeBytes = 256 << 10 }
        defer { Task { await test.destroy() } }
        let padding = String(repeating: "x", count: 900)
        for round in 0..<40 {
            _ = try await test.store.append(TestEvents.request("account/g-\(round % 4)", (0..<50).map { _ in ("Padded", "{\"pad\":\"\(padding)\"}") }))
        }
        let statistics = try test.store.statistics()
        #expect(statistics.map.mapSizeBytes > 256 << 10)
        #expect(try test.store.wholeLog().count == 2_000)
    }

    @Test("at the maximum map size appends fail with storage full, write nothing, and reads go on")
    func storageFull() async throws {
        let test = try TestStore.open {
            $0.mapSizeBytes = 256 << 10
            $0.mapSizeMaxBytes = 1 << 20
        }
        defer { Task { await test.destroy() } }
        let padding = String(repeating: "y", count: 1000)
        var appended = 0
        var refusal: EventStoreError?
        for _ in 0..<400 where refusal == nil {
            do {
                _ = try await test.store.append(TestEvents.request("account/full", (0..<20).map { _ in ("Padded", "{\"pad\":\"\(padding)\"}") }))
                appended += 20
            } catch let error as EventStoreError {
                refusal = error
            }
        }
        guard case .storageFull = refusal else {
            Issue.record("expected storage full, got \(String(describing: refusal))")
            return
        }
        #expect(try test.store.allEvents(of: "account/full").count == appended)
        #expect(try test.store.wholeLog().count == appended)
    }

    @Test("a damaged record is reported, not returned")
    func damagedRecord() async throws {
        let test = try TestStore.open()
        defer { test.directory.remove() }
        let marker = "MARKER-0123456789"
        _ = try await test.store.append(TestEvents.request("account/d", [("Noted", "{\"text\":\"\(marker)\"}")]))
        await test.close()
        try Self.damage(marker, in: test)
        let again = try test.reopened()
        #expect(throws: EventStoreError.self) { _ = try again.store.allEvents(of: "account/d") }
        do {
            _ = try again.store.wholeLog()
            Issue.record("the damaged record was returned")
        } catch EventStoreError.corruptRecord(let position, let reason) {
            #expect(position == 1 && reason.contains("CRC32C"))
        }
        await again.close()
    }

    @Test("a consumer's scan reads a record whole only when its stream passes the filter: a damaged one there is reported, one it passes over is not opened")
    func consumerScanChecksWhatItDelivers() async throws {
        let test = try TestStore.open()
        defer { test.directory.remove() }
        let marker = "MARKER-5555544444"
        _ = try await test.store.append(TestEvents.request("account/other", [("Noted", "{\"text\":\"\(marker)\"}")]))
        _ = try await test.store.append(TestEvents.request("account/mine", [("Noted", "{\"text\":\"kept\"}")]))
        _ = try await test.store.putConsumer("mine", filter: ConsumerFilter(objects: ["account/mine"]), start: .earliest)
        _ = try await test.store.putConsumer("all", filter: ConsumerFilter(), start: .earliest)
        await test.close()
        try Self.damage(marker, in: test)
        let again = try test.reopened()
        var seqs: [UInt64] = []
        let page = try again.store.readConsumer("mine", limit: 10) { event, _ in seqs.append(event.seq) }
        #expect(seqs == [1] && page?.next == 2, "the damaged record of account/other is passed over unopened")
        let error = #expect(throws: EventStoreError.self, "the damaged record is reported to a consumer that follows it") {
            _ = try again.store.readConsumer("all", limit: 10) { _, _ in }
        }
        #expect(error == .corruptRecord(position: 1, reason: "CRC32C mismatch"), "\(String(describing: error))")
        await again.close()
    }

    @Test("a damaged record met inside a write is answered as corrupt-record with its position, not as a storage failure")
    func damagedRecordInWrite() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { test.directory.remove() }
        let object = try ObjectKey(parsing: "inventory/damaged")
        let marker = "MARKER-9876543210"
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: object), command: "restock", body: ["qty": 5]))
        let branch = try BranchName("b")
        _ = try await test.store.createBranch(branch, of: object)
        _ = try await test.store.run(
            CommandRequest(stream: StreamName(object: object, branch: branch), command: "adjust", body: ["delta": -1, "reason": .string(marker)]))
        await test.close()
        try Self.damage(marker, in: test)
        let again = try test.reopened()
        var refusal: EventStoreError?
        do {
            _ = try await again.store.merge(branch, into: StreamName(object: object))
        } catch {
            refusal = error
        }
        await again.close()
        guard case .corruptRecord(let position, let reason) = refusal else {
            Issue.record("expected corrupt-record, got \(String(describing: refusal))")
            return
        }
        #expect(position == 2 && reason.contains("CRC32C"))
    }

    @Test("log readers are woken by a commit, not by polling")
    func commitWakeUp() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let waiter = Task { await test.store.commits.wait(after: 0) }
        try await Task.sleep(for: .milliseconds(50))
        _ = try await test.store.append(TestEvents.deposits("account/w", count: 1))
        await waiter.value
        #expect(test.store.commits.committedPosition == 1)
        // A cancelled waiter returns without a commit.
        let cancelled = Task { await test.store.commits.wait(after: 1) }
        cancelled.cancel()
        await cancelled.value
    }

    @Test("the queue refuses requests past its bound and hands out bounded batches")
    func boundedQueue() async throws {
        let queue = AppendQueue(requestsMax: 2, bytesMax: 1 << 20)
        let request = try TestEvents.deposits("account/q", count: 1)
        let refusals = await withTaskGroup(of: EventStoreError?.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<AppendOutcome, EventStoreError>, Never>) in
                        let command = WriterCommand.append(request, WriterReply(continuation: continuation))
                        let refusal = queue.enqueue(PendingWrite(command: command, bytes: 10, enqueuedNanoseconds: 0))
                        if let refusal { continuation.resume(returning: .failure(refusal)) }
                        else { continuation.resume(returning: .failure(.closed)) }  // answered at once: not waiting for a writer
                    }.failureValue
                }
            }
            return await group.reduce(into: [EventStoreError?]()) { $0.append($1) }
        }
        #expect(refusals.filter { $0 == .queueFull }.count == 1)
        let batch = try #require(queue.takeBatch(requestsMax: 1, bytesMax: 1 << 20))
        #expect(batch.count == 1)
        #expect(queue.depth.requests == 1)
        queue.close()
        #expect(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20)?.count == 1)
        #expect(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20) == nil)
    }

    @Test("a batch takes the oldest heavy request, then the light ones, then the heavy ones; what is put back keeps its turn")
    func lanes() async throws {
        let queue = AppendQueue(requestsMax: 100, bytesMax: 1 << 20, heavyBytes: 100)
        var sent: [String: Int] = [:]
        for (object, events) in [("heavy-1", 20), ("light-1", 1), ("heavy-2", 20), ("light-2", 1), ("heavy-3", 20), ("light-3", 1)] {
            let request = try TestEvents.deposits("account/\(object)", count: events)
            sent[object] = request.events.storage.count
            let refusal = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<AppendOutcome, EventStoreError>, Never>) in
                let command = WriterCommand.append(request, WriterReply(continuation: continuation))
                let refusal = queue.enqueue(PendingWrite(command: command, bytes: 10, enqueuedNanoseconds: 0, weight: command.weight))
                continuation.resume(returning: refusal.map { .failure($0) } ?? .failure(.closed))  // answered at once: no writer here
            }.failureValue
            #expect(refusal == .closed, "queued")
        }
        #expect(sent["heavy-1"]! > 100 && sent["light-1"]! <= 100, "the weights straddle the line")
        let objects = { (batch: [PendingWrite]) in
            batch.map { pending -> String in
                guard case .append(let request, _) = pending.command else { return "?" }
                return request.stream.object.id.value
            }
        }
        let first = try #require(queue.takeBatch(requestsMax: 4, bytesMax: 1 << 20))
        #expect(objects(first) == ["heavy-1", "light-1", "light-2", "light-3"])
        queue.putBack(Array(first[2...]))
        let second = try #require(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20))
        #expect(objects(second) == ["heavy-2", "light-2", "light-3", "heavy-3"])
    }

    @Test("a batch takes events up to its limit, and a request over it alone")
    func eventsPerBatch() async throws {
        let queue = AppendQueue(requestsMax: 100, bytesMax: 1 << 20, heavyBytes: 1 << 20)
        for (object, events) in [("a", 300), ("b", 200), ("c", 100), ("d", 700), ("e", 1)] {
            let request = try TestEvents.deposits("account/\(object)", count: events)
            _ = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<AppendOutcome, EventStoreError>, Never>) in
                let command = WriterCommand.append(request, WriterReply(continuation: continuation))
                let refusal = queue.enqueue(PendingWrite(command: command, bytes: 10, enqueuedNanoseconds: 0, weight: command.weight))
                continuation.resume(returning: refusal.map { .failure($0) } ?? .failure(.closed))  // answered at once: no writer here
            }.failureValue
        }
        let sizes = { (batch: [PendingWrite]?) in batch?.map(\.command.eventCount) ?? [] }
        #expect(sizes(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20, eventsMax: 512)) == [300, 200])
        #expect(sizes(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20, eventsMax: 512)) == [100])
        #expect(sizes(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20, eventsMax: 512)) == [700], "over the limit: alone")
        #expect(sizes(queue.takeBatch(requestsMax: 10, bytesMax: 1 << 20, eventsMax: 512)) == [1])
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
