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
}
