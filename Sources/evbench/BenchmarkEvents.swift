import EventModel
import EventStore
import Foundation

/// The event every benchmark appends: type `Deposited`, 200 bytes of data.
enum BenchmarkEvents {
    /// `{"n":…,"pad":"xxx…"}`, padded to exactly 200 bytes.
    static func data(_ n: Int) -> [UInt8] {
        let head = "{\"n\":\(n),\"pad\":\""
        return Array((head + String(repeating: "x", count: 200 - head.utf8.count - 2) + "\"}").utf8)
    }

    /// A request of `count` events for `object`.
    static func request(object: ObjectKey, count: Int, first: Int) throws -> AppendRequest {
        var batch = EventBatch()
        let type = Array("Deposited".utf8)
        for n in first..<(first + count) {
            let data = Self.data(n)
            try type.withUnsafeBytes { type in
                try data.withUnsafeBytes { data in
                    try batch.add(id: nil, type: type, data: data, metadata: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
        }
        return AppendRequest(stream: StreamName(object: object), events: batch)
    }
}

/// Counts batches as the writer reports them, to give the average batch size.
final class BatchCounter: StoreObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var batches = 0
    private var events = 0
    private var busySeconds = 0.0

    func batchFinished(requests: Int, events: Int, commitSeconds: Double, waitSeconds: Double) {
        lock.withLock {
            batches += 1
            self.events += events
            busySeconds += commitSeconds
        }
    }

    var averageBatchEvents: Double { lock.withLock { batches == 0 ? 0 : Double(events) / Double(batches) } }
    /// Seconds the writer spent on batches, in all.
    var writerBusySeconds: Double { lock.withLock { busySeconds } }
}
