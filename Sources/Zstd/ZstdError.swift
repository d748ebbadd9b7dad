import CZstd

/// An error reported by zstd, with its message (`ZSTD_getErrorName`).
public struct ZstdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// zstd's description of what went wrong.
    public let message: String

    public var description: String { "zstd: \(message)" }

    static func check(_ result: Int) throws(ZstdError) -> Int {
        if ZSTD_isError(result) != 0 { throw ZstdError(message: String(cString: ZSTD_getErrorName(result))) }
        return result
    }
}
