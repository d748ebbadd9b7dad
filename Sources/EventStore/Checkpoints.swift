import EventModel
import Logging
import Synchronization

/// A checkpoint of one live object: its views' states as they were when it started.
final class CheckpointJob: @unchecked Sendable {
    let object: LiveObject
    let frozen: [FrozenView]
    /// The memory its object was counted at when it started: what encoding it may take.
    let bytes: Int

    init(object: LiveObject, frozen: [FrozenView]) {
        self.object = object
        self.frozen = frozen
        bytes = object.countedBytes
    }
}

/// One writer command of a checkpoint: some rows of a view, and, with its last rows, the
/// view's snapshot (which makes the checkpoint count: rows before it are never read past the
/// last snapshot, so a checkpoint cut short by a crash leaves nothing wrong behind).
struct CheckpointWrite: Sendable {
    /// A row version to store: its record key and value (``RowKeys``, ``RowRecord``).
    struct Row: Sendable {
        let key: [UInt8]
        let value: [UInt8]
    }

    /// The view's snapshot: its seq and stored value, and the sizes the view's memory is
    /// counted by.
    struct Snapshot: Sendable {
        let seq: Seq
        let value: [UInt8]
        let summaryBytes: Int
        let rowBytes: Int
    }

    /// The stream, and its name, which must still name it (a stream deleted meanwhile gets
    /// nothing written).
    let stream: UInt64
    let storageKey: [UInt8]
    /// The view.
    let view: AnyProjection
    let rows: [Row]
    let snapshot: Snapshot?
    /// The live object whose checkpoint this is (nil for a rebuild's).
    let object: LiveObject?
    let liveView: (any LiveViewBox)?
    /// Every snapshot of the view for the stream is deleted first (a forced rebuild replaces
    /// them all, damaged ones included).
    var replacesSnapshots = false

    /// The bytes it stores.
    var bytes: Int { rows.reduce(snapshot?.value.count ?? 0) { $0 + $1.key.count + $1.value.count } }
}

/// Sends checkpoints to the writer: encodes each job's states off the writer, in chunks of
/// bounded size, several at once, the snapshot last. At most
/// ``LiveConfiguration/checkpointsInFlightMax`` run at once; the others wait.
///
/// Its queue is the writer's: every method but the running jobs is called on the writer thread.
final class Checkpoints: @unchecked Sendable {
    /// How a job reaches the writer: a chunk of rows, and the end of a job (its views'
    /// snapshots with their last rows, or what stopped it).
    struct Writer: Sendable {
        let write: @Sendable (CheckpointWrite) async throws(EventStoreError) -> Void
        let finish: @Sendable (CheckpointJob, [CheckpointWrite], EventStoreError?) async -> Void
    }

    let layout: StoreLayout
    let configuration: LiveConfiguration
    let logger: Logger
    /// Set by the store before its writer starts.
    var writer: Writer?
    private var waiting: [CheckpointJob] = []
    private var waitingStart = 0
    private var running = 0
    private var runningBytes = 0
    private var callbacks: [UInt64: [@Sendable (EventStoreError?) -> Void]] = [:]

    init(layout: StoreLayout, configuration: LiveConfiguration, logger: Logger) {
        self.layout = layout
        self.configuration = configuration
        self.logger = logger
    }

    /// Queues `job`; `done` is called when it ends.
    func enqueue(_ job: CheckpointJob, done: (@Sendable (EventStoreError?) -> Void)?) {
        waiting.append(job)
        whenDone(job.object.number, done)
    }

    /// Calls `done` when the checkpoint of the object `number` under way ends.
    func whenDone(_ number: UInt64, _ done: (@Sendable (EventStoreError?) -> Void)?) {
        guard let done else { return }
        callbacks[number, default: []].append(done)
    }

    /// Starts waiting jobs while fewer than the maximum run.
    func startWaiting() {
        guard let writer else { return }
        while waitingStart < waiting.count {
            let job = waiting[waitingStart]
            // A few large ones at once, or many small ones (a shutdown, or evictions, of
            // thousands of small objects share transactions instead of taking one each).
            let fits = running < configuration.checkpointsInFlightMax
                || (running < Self.smallJobsInFlightMax && runningBytes + job.bytes <= Self.smallJobsBytesMax)
            guard fits else { break }
            waitingStart += 1
            if waitingStart == waiting.count || waitingStart >= 1_024 {
                waiting.removeFirst(waitingStart)
                waitingStart = 0
            }
            running += 1
            runningBytes += job.bytes
            let chunkRows = configuration.checkpointChunkRowsMax
            let chunkBytes = configuration.checkpointChunkBytesMax
            let logger = logger
            // Below requests: a checkpoint only has to keep up, a request has someone waiting.
            Task.detached(priority: .background) {
                switch await Self.run(job, writer: writer, chunkRows: chunkRows, chunkBytes: chunkBytes, logger: logger) {
                case .success(let snapshots): await writer.finish(job, snapshots, nil)
                case .failure(let failure): await writer.finish(job, [], failure)
                }
            }
        }
    }

    /// A job ended (the writer runs this): calls who waited for it.
    func ended(_ job: CheckpointJob, failure: EventStoreError?) {
        running -= 1
        runningBytes -= job.bytes
        for callback in callbacks.removeValue(forKey: job.object.number) ?? [] { callback(failure) }
    }

    /// Checkpoints written at once when they are small: at most this many, holding at most
    /// ``smallJobsBytesMax`` together.
    static let smallJobsInFlightMax = 512
    static let smallJobsBytesMax = 16 << 20

    /// Chunks of rows of one checkpoint sent to the writer at once: they share its transactions
    /// (and their syncs) instead of waiting for each other.
    static let chunksInFlightMax = 16

    /// Encodes one job and writes its chunks of rows, in any order, up to ``chunksInFlightMax``
    /// at once; returns the writes of its views' snapshots (with their last rows), which make
    /// the checkpoint count and go with its end once every other row is written (so a job of
    /// small views costs one trip through the writer), or the error that stopped it.
    private static func run(
        _ job: CheckpointJob, writer: Writer, chunkRows: Int, chunkBytes: Int, logger: Logger
    ) async -> Result<[CheckpointWrite], EventStoreError> {
        let object = job.object
        do {
            var chunks: [CheckpointWrite] = []
            var summaries: [CheckpointWrite] = []
            for frozen in job.frozen {
                let encoded = try frozen.encode()
                var parts = try Self.parts(
                    stream: object.number, storageKey: object.stream.storageKey, frozen: frozen, summary: encoded.summary, rows: encoded.rows,
                    object: object, chunkRows: chunkRows, chunkBytes: chunkBytes)
                summaries.append(parts.removeLast())
                chunks += parts
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, part) in chunks.enumerated() {
                    if index >= chunksInFlightMax { try await group.next() }
                    group.addTask { try await writer.write(part) }
                }
                try await group.waitForAll()
            }
            return .success(summaries)
        } catch {
            logger.warning("checkpoint failed; it is tried again later", metadata: ["object": "\(object.stream)", "error": "\(error)"])
            return .failure(error as? EventStoreError ?? .corruptRecord(position: 0, reason: "a view state does not encode: \(error)"))
        }
    }

    /// The writer commands of one view's checkpoint: its rows in chunks, the snapshot with the
    /// last chunk.
    static func parts(
        stream: UInt64, storageKey: [UInt8], frozen: FrozenView, summary: [UInt8], rows: [ChangedRow], object: LiveObject?, chunkRows: Int,
        chunkBytes: Int
    ) throws -> [CheckpointWrite] {
        let view = frozen.view
        let prefix = RowKeys.prefix(stream: stream, view: view.name, version: view.version)
        var parts: [CheckpointWrite] = []
        var chunk: [CheckpointWrite.Row] = []
        var bytes = 0
        var jsonBytes = 0
        for row in rows {
            var escaped: [UInt8] = []
            let isLong = RowKeys.appendEscaped(row.key, to: &escaped)
            let key = escaped.withUnsafeBytes { RowKeys.recordKey(prefix: prefix, escaped: $0, seq: row.seq) }
            let value = RowRecord.encode(json: row.json, key: row.key, longKey: isLong)
            chunk.append(CheckpointWrite.Row(key: key, value: value))
            bytes += key.count + value.count
            jsonBytes += row.json?.count ?? 0
            if chunk.count >= chunkRows || bytes >= chunkBytes {
                parts.append(CheckpointWrite(stream: stream, storageKey: storageKey, view: view, rows: chunk, snapshot: nil, object: object, liveView: nil))
                chunk = []
                bytes = 0
            }
        }
        let snapshot = CheckpointWrite.Snapshot(
            seq: frozen.seq, value: try SnapshotWriter.pooledValue(version: view.version, summary: summary), summaryBytes: summary.count,
            rowBytes: rows.isEmpty ? 0 : jsonBytes / rows.count)
        let live = object?.view(view.name)
        parts.append(CheckpointWrite(stream: stream, storageKey: storageKey, view: view, rows: chunk, snapshot: snapshot, object: object, liveView: live))
        return parts
    }
}
