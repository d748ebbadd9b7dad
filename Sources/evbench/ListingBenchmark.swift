import ArgumentParser
import EventModel
import EventStore
import Logging
import Projections

/// Object listings on a type with many objects: a page of ids read from the writer's index.
struct ListingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listing",
        abstract: "List pages of object ids of a type with --objects objects; print median and p99 per page.",
        discussion: """
            Makes --objects inventory objects of one Restocked event each (256 appenders; kept \
            when the folder holds them already), then reads --pages pages of --limit ids from \
            random places (after a random id) and the object counts per type, each timed.

            Examples:
              evbench listing --objects 1000000 --dir /tmp/bench-listing
            """)

    @Option(help: "Objects of the type.") var objects = 1_000_000
    @Option(help: "Ids a page.") var limit = 1_000
    @Option(help: "Pages read.") var pages = 200
    @Option(help: "A data folder.") var dir: String

    func run() async throws {
        var logger = Logger(label: "evbench")
        logger.logLevel = .warning
        let store = try EventStore(configuration: StoreConfiguration(directory: dir), objectTypes: BundledTypes.all, holder: "evbench", logger: logger)
        let type = try ObjectType("inventory")
        let existing = try store.objectTypeCounts().first { $0.type == type.name }?.objects ?? 0
        let fillStart = ContinuousClock.now
        if existing < UInt64(objects) {
            let total = objects
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<256 {
                    group.addTask {
                        var index = appender + Int(existing)
                        while index < total {
                            var batch = EventBatch()
                            try Array("Restocked".utf8).withUnsafeBytes { type in
                                try Array("{\"qty\":1}".utf8).withUnsafeBytes { try batch.add(id: nil, type: type, data: $0, metadata: UnsafeRawBufferPointer(start: nil, count: 0)) }
                            }
                            let stream = StreamName(object: try ObjectKey(parsing: "inventory/sku-\(index)"))
                            _ = try await store.append(AppendRequest(stream: stream, events: batch))
                            index += 256
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let fillSeconds = BenchmarkClock.seconds(since: fillStart)

        var generator = SystemRandomNumberGenerator()
        var pageSeconds: [Double] = []
        var listed = 0
        for _ in 0..<pages {
            let after = "sku-\(Int.random(in: 0..<objects, using: &generator))"
            let start = ContinuousClock.now
            let page = try store.listObjects(of: type, after: after, limit: limit)
            pageSeconds.append(BenchmarkClock.seconds(since: start))
            listed += page.objects.count
        }
        var countSeconds: [Double] = []
        for _ in 0..<pages {
            let start = ContinuousClock.now
            _ = try store.objectTypeCounts()
            countSeconds.append(BenchmarkClock.seconds(since: start))
        }
        let counted = try store.objectTypeCounts().first { $0.type == type.name }?.objects ?? 0
        await store.close()
        let micro = { (values: [Double], fraction: Double) in Int(BenchmarkClock.percentile(values, fraction) * 1e6) }
        print(
            "listing objects=\(counted) limit=\(limit) pages=\(pages) listed_per_page=\(listed / max(pages, 1)) fill_s=\(String(format: "%.1f", fillSeconds))"
                + " page_us=\(micro(pageSeconds, 0.5)) page_p99_us=\(micro(pageSeconds, 0.99)) counts_us=\(micro(countSeconds, 0.5))")
    }
}
