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
}
