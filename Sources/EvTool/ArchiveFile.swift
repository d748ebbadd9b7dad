import Foundation

/// A JSON Lines file (or standard input/output) for export and import, buffered. Unchecked
/// `Sendable`: one task at a time uses it (an upload's body reads it after the command has).
final class ArchiveFile: @unchecked Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var readOffset = 0
    private var atEnd = false

    /// Opens `path` for writing (created or truncated); standard output when nil.
    init(writingTo path: String?) throws {
        if let path {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        } else {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
        }
    }

    /// Opens `path` for reading; standard input when nil.
    init(readingFrom path: String?) throws {
        if let path {
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw CommandFailure("cannot read \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        } else {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        }
    }

    deinit { if ownsDescriptor { Foundation.close(descriptor) } }

    /// Writes `line` and a newline (buffered).
    func write(_ line: [UInt8]) throws {
        buffer.append(contentsOf: line)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes `bytes` as they are (whole lines, newlines included), buffered.
    func write(raw bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered and, for a file, syncs it.
    func close() throws {
        try flush()
        if ownsDescriptor, fsync(descriptor) != 0 { throw CommandFailure("cannot sync the output: \(String(cString: strerror(errno)))") }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, buffer.count - offset) }
            guard written > 0 else { throw CommandFailure("cannot write: \(String(cString: strerror(errno)))") }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// What is left to read, as it comes (lines not split): what ``nextLine()`` buffered
    /// first; nil at the end.
    func nextChunk() throws -> [UInt8]? {
        if readOffset < buffer.count {
            let chunk = Array(buffer[readOffset...])
            buffer.removeAll(keepingCapacity: true)
            readOffset = 0
            return chunk
        }
        guard !atEnd else { return nil }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
        guard count >= 0 else { throw CommandFailure("cannot read: \(String(cString: strerror(errno)))") }
        if count == 0 {
            atEnd = true
            return nil
        }
        chunk.removeSubrange(count...)
        return chunk
    }

    /// The first line without its newline, left to be read again (by ``nextChunk()`` say);
    /// nil for an empty file. Only before anything else is read.
    func peekFirstLine() throws -> [UInt8]? {
        precondition(readOffset == 0, "peekFirstLine() reads the first line only")
        let line = try nextLine()
        readOffset = 0
        return line
    }

    /// The next line without its newline; nil at the end.
    func nextLine() throws -> [UInt8]? {
        while true {
            if let newline = buffer[readOffset...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[readOffset..<newline])
                readOffset = newline + 1
                return line
            }
            if atEnd {
                guard readOffset < buffer.count else { return nil }
                let line = Array(buffer[readOffset...])
                readOffset = buffer.count
                return line
            }
            buffer.removeFirst(readOffset)
            readOffset = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            guard count >= 0 else { throw CommandFailure("cannot read: \(String(cString: strerror(errno)))") }
            if count == 0 { atEnd = true } else { buffer.append(contentsOf: chunk[..<count]) }
        }
    }
}
