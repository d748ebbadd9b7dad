import EventModel
import EventStore
import Foundation

/// Appends each event as a line of JSON to `<path>-<first position>.jsonl`, starting a new file
/// once one passes `rotateBytes`; each batch is synced before it counts as delivered. A batch
/// delivered again after a crash is appended again (at least once): readers drop lines whose
/// `position` they have passed.
public actor JSONLinesSink: Sink {
    let path: String
    let rotateBytes: Int
    private var descriptor: Int32 = -1
    private var written = 0

    /// A sink writing files named from `path` (a folder is created if needed).
    public init(path: String, rotateBytes: Int) {
        self.path = path
        self.rotateBytes = rotateBytes
    }

    /// The failure of a write.
    public struct WriteError: Error, CustomStringConvertible {
        /// What happened.
        public let description: String
    }

    public func deliver(_ batch: SinkBatch) async throws {
        guard let first = batch.events.first else { return }
        if descriptor < 0 || written >= rotateBytes { try open(first: first.position) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.events.reduce(0) { $0 + $1.json.count + 1 })
        for event in batch.events {
            bytes.append(contentsOf: event.json)
            bytes.append(UInt8(ascii: "\n"))
        }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard count > 0 else { throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += count
        }
        guard fsync(descriptor) == 0 else { throw WriteError(description: "cannot sync \(path): \(String(cString: strerror(errno)))") }
        written += bytes.count
    }

    private func open(first: Position) throws {
        if descriptor >= 0 { Foundation.close(descriptor) }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let file = "\(path)-\(String(format: "%012llu", first)).jsonl"
        descriptor = Foundation.open(file, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw WriteError(description: "cannot open \(file): \(String(cString: strerror(errno)))") }
        var status = stat()
        written = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    public func close() async {
        if descriptor >= 0 { Foundation.close(descriptor) }
        descriptor = -1
    }
}
