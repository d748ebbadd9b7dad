import CZstd

/// A reusable zstd compression context. Frames it writes carry zstd's content checksum, so a
/// damaged frame fails to decode instead of decoding into wrong bytes.
///
/// Not thread-safe: it may move between threads, but only one may use it at a time.
public final class ZstdCompressor: @unchecked Sendable {
    private let context: OpaquePointer

    /// A compressor at `level` (1 is fastest; zstd's default is 3).
    public init(level: Int32 = 3) {
        context = ZSTD_createCCtx()
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1)
    }

    deinit { ZSTD_freeCCtx(context) }

    /// The largest frame `count` input bytes can compress to.
    public static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

    /// Compresses `input` into `output`, which must hold ``bound(_:)`` bytes; returns the
    /// frame's length.
    /// - Throws: ``ZstdError`` if zstd fails (it does not for a large enough `output`).
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        try ZstdError.check(ZSTD_compress2(context, output.baseAddress, output.count, input.baseAddress, input.count))
    }

    /// Compresses what `read` gives (into the buffer it is handed; 0 at the end) as one frame,
    /// handed to `write` in pieces: a file of any size in bounded memory.
    /// - Throws: ``ZstdError`` if zstd fails, or what `read` or `write` throw.
    public func compressStream(read: (UnsafeMutableRawBufferPointer) throws -> Int, write: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_CStreamInSize(), alignment: 8)
        defer { input.deallocate() }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 8)
        defer { output.deallocate() }
        while true {
            let count = try read(input)
            let mode = count == 0 ? ZSTD_e_end : ZSTD_e_continue
            var source = ZSTD_inBuffer(src: input.baseAddress, size: count, pos: 0)
            var finished = false
            repeat {
                var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
                let remaining = try ZstdError.check(ZSTD_compressStream2(context, &target, &source, mode))
                if target.pos > 0 { try write(UnsafeRawBufferPointer(rebasing: output[..<target.pos])) }
                finished = count == 0 ? remaining == 0 : source.pos == source.size
            } while !finished
            if count == 0 { return }
        }
    }
}
