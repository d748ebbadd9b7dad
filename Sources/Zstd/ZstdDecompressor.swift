import CZstd

/// A reusable zstd decompression context. Not thread-safe: one per reader.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    /// A new decompression context.
    public init() { context = ZSTD_createDCtx() }

    deinit { ZSTD_freeDCtx(context) }

    /// The size of what `frame` decompresses to, as its header declares it; nil when the header
    /// is damaged or declares none. Read before allocating for it: a damaged length elsewhere
    /// then costs no more than the frame says.
    public static func contentSize(of frame: UnsafeRawBufferPointer) -> Int? {
        guard let base = frame.baseAddress else { return nil }
        let size = ZSTD_getFrameContentSize(base, frame.count)
        guard size != ZSTD_CONTENTSIZE_UNKNOWN, size != ZSTD_CONTENTSIZE_ERROR, size <= UInt64(Int.max) else { return nil }
        return Int(size)
    }

    /// Decompresses one frame into `output`; returns the number of bytes written.
    /// - Throws: ``ZstdError`` when the frame is damaged (including a content checksum that does
    ///   not match) or does not fit in `output`.
    public func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        try ZstdError.check(ZSTD_decompressDCtx(context, output.baseAddress, output.count, frame.baseAddress, frame.count))
    }

    /// Decompresses the frame `read` gives (into the buffer it is handed; 0 at the end), handing
    /// what it holds to `write` in pieces: a file of any size in bounded memory.
    /// - Throws: ``ZstdError`` for a damaged frame (its checksum included) or one cut short, or
    ///   what `read` or `write` throw.
    public func decompressStream(read: (UnsafeMutableRawBufferPointer) throws -> Int, write: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamInSize(), alignment: 8)
        defer { input.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 8)
        defer { output.deallocate() }
        var frameDone = false
        while true {
            let count = try read(input)
            if count == 0 {
                guard frameDone else { throw ZstdError(message: "the frame is cut short") }
                return
            }
            var source = ZSTD_inBuffer(src: input.baseAddress, size: count, pos: 0)
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            repeat {
                target.pos = 0
                frameDone = try ZstdError.check(ZSTD_decompressStream(context, &target, &source)) == 0
                if target.pos > 0 { try write(UnsafeRawBufferPointer(rebasing: output[..<target.pos])) }
            } while source.pos < source.size || target.pos == target.size
        }
    }
}
