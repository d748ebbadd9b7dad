import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Projections

/// The `stock` view under another version, meaning the same: what a release that changes a
/// reducer does to a store.
struct StockViewNext: KeyedProjection {
    typealias Row = StockView.Order
    let name = "stock"
    let version: Int
    var initialSummary: StockView.Summary { StockView().initialSummary }
    func apply(_ summary: inout StockView.Summary, _ rows: Rows<StockView.Order>, _ event: RecordedEvent) { StockView().apply(&summary, rows, event) }
}

/// A rebuild of every inventory object's stock view after its version changed.
struct RebuildBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild events/s: the stock view of --objects objects with --events-per-object events each.",
        discussion: """
            Writes the objects (unless the folder holds them), reopens the store with the stock \
            view's version bumped, and rebuilds it with --jobs workers; prints the events folded \
            per second and the wall time.

            Examples:
              evbench rebuild --objects 100000 --events-per-object 100 --jobs 2 --dir /tmp/bench-rebuild
            """)

    @Option(help: "Inventory objects.") var objects = 100_000
    @Option(help: "Events per object.") var eventsPerObject = 100
    @Option(help: "Rebuild workers.") var jobs = 2
    @Option(help: "A data folder.") var dir: String

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let configuration = StoreConfiguration(directory: dir)
        var store = try EventStore(configuration: configuration, objectTypes: BundledTypes.all, holder: "evbench", logger: logger)
        let done = try store.statistics().lastPosition
        if done < UInt64(objects * eventsPerObject) {
            try await fill(store)
        }
        await store.close()
        var types = BundledTypes.all
        // A version no earlier run left behind, so every object is rebuilt.
        let version = Int.random(in: 1_000...1_000_000_000)
        types["inventory"] = ObjectTypeDefinition(name: "inventory", views: [AnyProjection(StockViewNext(version: version))])
        store = try EventStore(configuration: configuration, objectTypes: types, holder: "evbench", logger: logger)
        let job = try await store.startRebuild(view: "stock", type: "inventory", jobs: jobs)
        let start = ContinuousClock.now
        let finished = try await store.runRebuild(job.id)
        let seconds = BenchmarkClock.seconds(since: start)
        await store.close()
        print(
            "rebuild objects=\(finished.objects) events=\(finished.events) jobs=\(jobs) seconds=\(String(format: "%.2f", seconds))"
                + " events_per_s=\(Int(Double(finished.events) / seconds))")
    }

    /// Writes every object's events, 64 objects' requests in flight at a time.
    private func fill(_ store: EventStore) async throws {
        let type = Array("Restocked".utf8)
        let data = Array("{\"qty\":1,\"note\":\"bench\"}".utf8)
        let perObject = eventsPerObject
        for first in stride(from: 0, to: objects, by: 64) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in first..<min(objects, first + 64) {
                    group.addTask {
                        var batch = EventBatch()
                        for _ in 0..<perObject {
                            try type.withUnsafeBytes { type in
                                try data.withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                            }
                        }
                        _ = try await store.append(AppendRequest(stream: StreamName(object: try ObjectKey(parsing: "inventory/sku-\(index)")), events: batch))
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
