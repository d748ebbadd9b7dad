import Synchronization
import Zstd

/// zstd compressors (level 3) lent to any thread: appends compressing large events before they
/// queue, checkpoints compressing summaries. Making one costs more than compressing a small
/// payload, so they are kept (a few) rather than made per use.
final class CompressorPool: Sendable {
    /// The pool every store of the process shares.
    static let shared = CompressorPool()

    private let idle = Mutex<[ZstdCompressor]>([])
    /// Compressors kept when none is lent.
    private static let keptMax = 8

    /// Runs `body` with a compressor no other thread uses meanwhile.
    func with<R>(_ body: (ZstdCompressor) throws -> R) rethrows -> R {
        let compressor = idle.withLock { $0.popLast() } ?? ZstdCompressor(level: 3)
        defer { idle.withLock { if $0.count < Self.keptMax { $0.append(compressor) } } }
        return try body(compressor)
    }
}
