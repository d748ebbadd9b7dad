/// A failure to seal or open: a bad length, or (on open) a tag that does not verify — the
/// bytes were damaged, or sealed under another key.
public enum SealingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key, nonce or buffer of the wrong size.
    case badLength(String)
    /// The authentication tag did not verify.
    case notAuthentic
    /// OpenSSL refused a step (its name).
    case failed(String)

    public var description: String {
        switch self {
        case .badLength(let what): "sealing: \(what) has the wrong length"
        case .notAuthentic: "sealing: the sealed bytes do not verify (damaged, or sealed under another key)"
        case .failed(let step): "sealing: OpenSSL's \(step) failed"
        }
    }
}
