import EventModel
import EventStoreTesting
import Projections
import Synchronization
import Testing

@testable import EventStore

/// A reducer that is not deterministic: it counts how many times it ever ran.
struct ForgetfulStockView: Projection {
    static let calls = Mutex(0)
    struct State: Codable, Sendable, Equatable { var calls = 0 }
    let name = "stock"
    let version = 1
    var initialState: State { State() }
    func apply(_ state: inout State, _ event: RecordedEvent) { state.calls = Self.calls.withLock { $0 += 1; return $0 } }
}

@Suite("Verify")
struct VerifyTests {
    @Test("a clean store verifies; a changed view state, a damaged snapshot and a non-deterministic reducer are each reported")
    func findings() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        let object = try ObjectKey(parsing: "inventory/v")
        let stream = StreamName(object: object)
        for _ in 0..<10 { _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 2])) }
        _ = try await test.store.createBranch(try BranchName("b"), of: object, at: 5)
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: object, branch: try BranchName("b")), command: "restock", body: ["qty": 1]))
        for index in 0..<3 { _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/o\(index)")), command: "restock", body: ["qty": 1])) }

        let clean = try test.store.verify()
        #expect(clean.findings.isEmpty)
        #expect(clean.objects == 5 && clean.views == 10 && clean.snapshots == 4)
        #expect(try test.store.verify(sample: 2).objects == 2)

        let number = try test.store.environment.read { transaction in try #require(try test.store.layout.streamNumber(stream.storageKey, in: transaction)) }
        try test.store.environment.write { transaction in
            let stock = BundledTypes.inventory.views[0]
            try StoredView.write(stream: number, name: "stock", version: 1, seq: 10, state: ["available": 1], layout: test.store.layout, transaction: transaction)
            try SnapshotWriter().write(stream: number, name: "stock", version: stock.version, seq: 4, state: ["available": 99], layout: test.store.layout, transaction: transaction)
        }
        let damaged = try test.store.verify(type: "inventory")
        #expect(damaged.findings.map(\.subject).sorted() == ["snapshot stock@4", "view stock"])
        #expect(damaged.findings.allSatisfy { $0.stream == stream })

        await test.close()
        var types = BundledTypes.all
        types["inventory"] = ObjectTypeDefinition(name: "inventory", views: [AnyProjection(ForgetfulStockView())])
        test = try test.reopened(objectTypes: types)
        let erratic = try test.store.verify()
        #expect(erratic.findings.contains { $0.subject == "view stock" && $0.stream.object.id.value == "o1" })
        await test.destroy()
    }
}
