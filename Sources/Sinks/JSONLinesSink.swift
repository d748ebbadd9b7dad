import EventModel
import EventStore
import Foundation

/// Appends each event as a line of JSON to `<path>-<first position>.jsonl`, starting a new file
/// once one passes `rotateBytes` (a restart goes on with the newest file); each batch is synced
/// before it counts as delivered. A batch delivered again after a crash is
/// appended again (at least once): readers drop lines whose `position` they have passed. A line
/// cut short by a crash is removed before anything is appended after it.
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
        if descriptor < 0 { try open(latestBelow: rotateBytes) }
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
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                // Nothing of a failed batch stays behind: the retry writes it whole.
                _ = ftruncate(descriptor, off_t(written))
                throw WriteError(description: "cannot write \(path): \(reason)")
            }
            offset += count
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = ftruncate(descriptor, off_t(written))
            throw WriteError(description: "cannot sync \(path): \(reason)")
        }
        written += bytes.count
    }

    /// Opens the newest file an earlier run wrote, if it is below `limit` bytes, to go on with
    /// it (after dropping a line a crash cut short).
    private func open(latestBelow limit: Int) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + "-"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".jsonl") }.sorted()
        guard let latest = files.last else { return }
        try openRepairing(folder.isEmpty ? latest : folder + "/" + latest, flags: O_RDWR | O_APPEND)
        if written >= limit {
            Foundation.close(descriptor)
            descriptor = -1
        }
    }

    private func open(first: Position) throws {
        if descriptor >= 0 { Foundation.close(descriptor) }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let file = "\(path)-\(String(format: "%012llu", first)).jsonl"
        let existed = FileManager.default.fileExists(atPath: file)
        try openRepairing(file, flags: O_RDWR | O_CREAT | O_APPEND)
        if !existed {
            // The new file's name must survive a power cut as surely as the lines in it.
            let directory = Foundation.open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
            if directory >= 0 {
                _ = fsync(directory)
                Foundation.close(directory)
            }
        }
    }

    /// Opens `file` as the current one and drops a line a crash cut short at its end.
    private func openRepairing(_ file: String, flags: Int32) throws {
        descriptor = Foundation.open(file, flags, 0o644)
        guard descriptor >= 0 else { throw WriteError(description: "cannot open \(file): \(String(cString: strerror(errno)))") }
        do {
            written = try dropTornLine(file)
        } catch {
            Foundation.close(descriptor)
            descriptor = -1
            throw error
        }
    }

    /// Truncates the open file after its last newline (a crash may have cut its last line
    /// short); returns its size then.
    private func dropTornLine(_ file: String) throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw WriteError(description: "cannot stat \(file): \(String(cString: strerror(errno)))") }
        var end = Int(status.st_size)
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while end > 0 {
            let start = max(0, end - chunk.count)
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, end - start, off_t(start)) }
            guard count == end - start else { throw WriteError(description: "cannot read \(file): \(String(cString: strerror(errno)))") }
            if let newline = chunk[..<count].lastIndex(of: UInt8(ascii: "\n")) {
                let keep = start + newline + 1
                if keep < Int(status.st_size) { guard ftruncate(descriptor, off_t(keep)) == 0 else { throw WriteError(description: "cannot truncate \(file)") } }
                return keep
            }
            end = start
        }
        if status.st_size > 0 { guard ftruncate(descriptor, 0) == 0 else { throw WriteError(description: "cannot truncate \(file)") } }
        return 0
    }

    public func close() async {
        if descriptor >= 0 { Foundation.close(descriptor) }
        descriptor = -1
    }
}
