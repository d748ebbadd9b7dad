import CZstd

/// A reusable zstd decompression context. Not thread-safe: one per reader.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    /// A new decompression context.
    public init() { context = ZSTD_createDCtx() }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses one frame into `output`; returns the number of bytes written.
    /// - Throws: ``ZstdError`` when the frame is damaged (including a content checksum that does
    ///   not match) or does not fit in `output`.
    public func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        try ZstdError.check(ZSTD_decompressDCtx(context, output.baseAddress, output.count, frame.baseAddress, frame.count))
    }
}
