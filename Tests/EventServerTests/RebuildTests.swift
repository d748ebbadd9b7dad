import EventModel
import EventStoreTesting
import Projections
import Testing

@testable import EventStore

/// `stock` under the next version with a different meaning: it also counts the events folded,
/// so a state rebuilt by it cannot be mistaken for one of the current version.
struct CountingStockView: KeyedProjection {
    struct Summary: Codable, Sendable, Equatable {
        var stock = StockView.Summary()
        var events = 0
    }

    typealias Row = StockView.Order

    let name = "stock"
    let version = StockView().version + 1
    var initialSummary: Summary { Summary() }

    func apply(_ summary: inout Summary, _ rows: Rows<StockView.Order>, _ event: RecordedEvent) {
        StockView().apply(&summary.stock, rows, event)
        summary.events += 1
    }
}

@Suite("Rebuild jobs")
struct RebuildTests {
    static let countingTypes: [String: ObjectTypeDefinition] = {
        var types = BundledTypes.all
        types["inventory"] = ObjectTypeDefinition(name: "inventory", views: [AnyProjection(CountingStockView())], snapshotIntervalEvents: 4)
        return types
    }()

    /// Every live branch's newest `stock` snapshot: at its head, and equal to folding its events
    /// with `view`.
    func checkEveryView(_ store: EventStore, objects: Int, view: AnyProjection) throws {
        for index in 0..<objects {
            let object = try ObjectKey(parsing: "inventory/sku-\(index)")
            for branch in try store.branches(of: object) {
                let stream = StreamName(object: object, branch: branch.name)
                let events = try store.allEvents(of: object.description, branch: branch.name.name).map {
                    RecordedEvent(seq: $0.seq, id: $0.id, type: $0.type, data: try JSONValue(parsing: $0.data), timeMilliseconds: $0.timeMilliseconds)
                }
                let stored = try store.environment.read { transaction in
                    let number = try #require(try store.layout.streamNumber(stream.storageKey, in: transaction))
                    return try store.layout.snapshot(of: view, stream: number, atMost: branch.head, in: transaction)
                }
                guard branch.head > branch.forkSeq else { continue }
                #expect(stored?.seq == branch.head, "\(stream)")
                #expect(stored?.summary == (try view.materialize(events).summary), "\(stream)")
            }
        }
    }

    @Test("a rebuild stopped in the middle and resumed leaves every view as a clean fold of the new version, with its snapshots")
    func interruptedAndResumed() async throws {
        let objects = 700
        let original = try TestStore.open(objectTypes: BundledTypes.all)
        let first = original.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<objects {
                group.addTask {
                    let events = (0...(index % 9)).map { ("Restocked", "{\"qty\":\($0 + 1)}") }
                    _ = try await first.append(try TestEvents.request("inventory/sku-\(index)", events))
                }
            }
            try await group.waitForAll()
        }
        var test = original
        for index in stride(from: 0, to: objects, by: 50) {
            let object = try ObjectKey(parsing: "inventory/sku-\(index)")
            _ = try await test.store.createBranch(try BranchName("b"), of: object, at: 1)
            _ = try await test.store.append(try TestEvents.request("inventory/sku-\(index)", [("Restocked", #"{"qty":7}"#)], branch: try BranchName("b")))
        }
        await test.close()

        // The new version: stop after the first chunk and close the store, as a crash would.
        test = try test.reopened(objectTypes: Self.countingTypes)
        let job = try await test.store.startRebuild(view: "stock", type: "inventory", jobs: 1)
        #expect(job.chunksTotal == 3)
        let stoppedAt = try await test.store.runRebuild(job.id) { _ in false }
        #expect(stoppedAt.state == .running && stoppedAt.chunksDone == 1)
        await test.close()
        test = try test.reopened(objectTypes: Self.countingTypes)
        let interrupted = try #require(try test.store.rebuildJob(job.id))
        #expect(interrupted.state == .running && interrupted.chunksDone == 1)

        // Appends during the rebuild fold into the new version at once; checkpointed, the
        // object is up to date and the rebuild leaves it.
        _ = try await test.store.append(try TestEvents.request("inventory/sku-699", [("Restocked", #"{"qty":1}"#)]))
        try await test.store.checkpoint()
        let again = try await test.store.startRebuild(view: "stock", type: "inventory", jobs: 1)
        #expect(again.id == job.id, "the running job is resumed, not started again")
        let finished = try await test.store.runRebuild(job.id)
        #expect(finished.state == .done && finished.chunksDone == 3)
        #expect(finished.objects == UInt64(objects + objects / 50) - 1, "every branch with events of its own, but the one refolded by its append")
        try checkEveryView(test.store, objects: objects, view: AnyProjection(CountingStockView()))

        // Snapshots of version 2 were written every 4 events past each fork.
        let snapshot = try test.store.environment.read { transaction in
            let number = try #require(try test.store.layout.streamNumber(StreamName(object: try ObjectKey(parsing: "inventory/sku-8")).storageKey, in: transaction))
            return try test.store.layout.snapshot(of: AnyProjection(CountingStockView()), stream: number, atMost: 8, in: transaction)
        }
        #expect(snapshot?.seq == 8 && snapshot?.summary["events"] == 8)
        await test.destroy()
    }

    @Test("jobs started at once get their own numbers; a job for another version of the view supersedes the running one")
    func jobNumbersAndVersions() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/j")), command: "restock", body: ["qty": 1]))
        async let stock = test.store.startRebuild(view: "stock", type: "inventory")
        async let presence = test.store.startRebuild(view: "presence", type: "document")
        let (first, second) = try await (stock, presence)
        #expect(first.id != second.id)
        #expect(try await test.store.startRebuild(view: "stock", type: "inventory").id == first.id, "the running one")
        await test.close()
        let next = try test.reopened(objectTypes: Self.countingTypes)
        let bumped = try await next.store.startRebuild(view: "stock", type: "inventory")
        #expect(bumped.id != first.id && bumped.versions == ["inventory": StockView().version + 1])
        let superseded = try #require(try next.store.rebuildJob(first.id))
        #expect(superseded.state == .failed && superseded.message?.contains("superseded") == true)
        #expect(try await next.store.runRebuild(first.id).state == .failed)
        #expect(try await next.store.runRebuild(bumped.id).state == .done)
        await next.destroy()
    }

    @Test("a view no type has is refused, naming the views there are")
    func unknownView() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        defer { Task { await test.destroy() } }
        await #expect(throws: EventStoreError.self) { _ = try await test.store.startRebuild(view: "nope") }
        await #expect(throws: EventStoreError.self) { _ = try await test.store.startRebuild(view: "stock", type: "building") }
    }
}

@Suite("Rebuild jobs over HTTP")
struct RebuildRouteTests {
    @Test("POST /v1/projections/{view}/rebuild answers 202 with the job; GET /v1/jobs/{id} follows it to done")
    func http() async throws {
        try await withServer { client, _, _ in
            for index in 0..<5 { _ = try await client.post("/v1/objects/inventory/r\(index)/commands/restock", #"{"qty": 3}"#) }
            let started = try await client.post("/v1/projections/stock/rebuild", #"{"type": "inventory", "jobs": 2}"#)
            #expect(started.status == .accepted)
            let id = try #require(started.json["id"] as? Int)
            #expect(started.headers[.location] == "/v1/jobs/\(id)")
            var state = ""
            for _ in 0..<200 {
                let job = try await client.get("/v1/jobs/\(id)")
                state = job.json["state"] as? String ?? ""
                if state == "done" {
                    #expect(job.json["progress"] as? Double == 1 && job.json["eventsPerSecond"] != nil)
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(state == "done")
            let listed = try await client.get("/v1/jobs")
            #expect((listed.json["jobs"] as? [[String: Any]])?.count == 1)
            let unknownView = try await client.post("/v1/projections/nope/rebuild", "{}")
            #expect(unknownView.status == .notFound && unknownView.json["field"] as? String == "view" && unknownView.json["type"] as? String == "/problems/view-not-found")
            let wrongType = try await client.post("/v1/projections/stock/rebuild", #"{"type": "building"}"#)
            #expect(wrongType.status == .notFound && wrongType.json["field"] as? String == "/type")
            let badJobs = try await client.post("/v1/projections/stock/rebuild", #"{"jobs": 0}"#)
            #expect(badJobs.status == .badRequest && badJobs.json["field"] as? String == "/jobs")
            let missing = try await client.get("/v1/jobs/99")
            #expect(missing.status == .notFound && missing.json["type"] as? String == "/problems/job-not-found")
        }
    }
}
