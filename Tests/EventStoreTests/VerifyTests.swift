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
    let version = 3
    var initialState: State { State() }
    func apply(_ state: inout State, _ event: RecordedEvent) { state.calls = Self.calls.withLock { $0 += 1; return $0 } }
}

@Suite("Verify")
struct VerifyTests {
    @Test("a clean store verifies; a damaged snapshot, a damaged row and a non-deterministic reducer are each reported")
    func findings() async throws {
        var test = try TestStore.open(objectTypes: BundledTypes.all) { $0.snapshotIntervalEvents = 4 }
        let object = try ObjectKey(parsing: "inventory/v")
        let stream = StreamName(object: object)
        for _ in 0..<10 { _ = try await test.store.run(CommandRequest(stream: stream, command: "restock", body: ["qty": 2])) }
        _ = try await test.store.run(CommandRequest(stream: stream, command: "reserve", body: ["orderId": "o-1", "qty": 3]))
        _ = try await test.store.createBranch(try BranchName("b"), of: object, at: 5)
        _ = try await test.store.run(CommandRequest(stream: StreamName(object: object, branch: try BranchName("b")), command: "restock", body: ["qty": 1]))
        for index in 0..<3 { _ = try await test.store.run(CommandRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/o\(index)")), command: "restock", body: ["qty": 1])) }
        try await test.store.checkpoint()

        let clean = try test.store.verify()
        #expect(clean.findings.isEmpty)
        #expect(clean.objects == 5 && clean.views == 10 && clean.snapshots >= 5 && clean.rows >= 2)
        #expect(try test.store.verify(sample: 2).objects == 2)

        let number = try test.store.environment.read { transaction in try #require(try test.store.layout.streamNumber(stream.storageKey, in: transaction)) }
        let stock = BundledTypes.inventory.views[0]
        try test.store.environment.write { transaction in
            try SnapshotWriter().write(
                stream: number, name: "stock", version: stock.version, seq: 4, summary: Array(#"{"available":99}"#.utf8), layout: test.store.layout,
                transaction: transaction)
            // The order's row as stored at the head's snapshot, said otherwise.
            var escaped: [UInt8] = []
            RowKeys.appendEscaped("o-1", to: &escaped)
            let key = escaped.withUnsafeBytes { RowKeys.recordKey(prefix: RowKeys.prefix(stream: number, view: "stock", version: stock.version), escaped: $0, seq: 11) }
            let value = RowRecord.encode(json: Array(#"{"qty":30,"expiresAt":0,"status":"pending"}"#.utf8), key: "o-1", longKey: false)
            try key.withUnsafeBytes { key in try value.withUnsafeBytes { try transaction.put(test.store.layout.rows, key: key, value: $0) } }
        }
        let damaged = try test.store.verify(type: "inventory")
        #expect(damaged.findings.map(\.subject).sorted() == ["row stock/o-1@12", "snapshot stock@4"])
        #expect(damaged.findings.allSatisfy { $0.stream == stream })

        await test.close()
        var types = BundledTypes.all
        types["inventory"] = ObjectTypeDefinition(name: "inventory", views: [AnyProjection(ForgetfulStockView())])
        test = try test.reopened(objectTypes: types)
        _ = try await test.store.append(try TestEvents.request("inventory/o1", [("Restocked", #"{"qty":1}"#)]))
        try await test.store.checkpoint()
        let erratic = try test.store.verify()
        #expect(erratic.findings.contains { $0.subject.hasPrefix("snapshot stock@") && $0.stream.object.id.value == "o1" })
        await test.destroy()
    }
}
