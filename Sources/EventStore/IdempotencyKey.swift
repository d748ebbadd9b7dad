import EventModel

/// A client's name for one request it may send again (the `Idempotency-Key` header): within
/// the store's window a request with the same key on the same object branch is answered as
/// the first was, and writes nothing; the same key with another request is refused.
///
/// The key is kept with a 128-bit fingerprint (FNV-1a) of what the request asks (its kind,
/// its command, its body), so a different request under a reused key is told apart.
public struct IdempotencyKey: Sendable, Equatable {
    /// The key as the client sent it: 1-255 visible ASCII characters.
    public let key: String
    /// The fingerprint of the request it names.
    public let fingerprint: UInt128

    /// The longest key accepted.
    public static let lengthMax = 255

    /// The key `key` for a request made of `parts` (for example the command's name and the
    /// body's bytes), each fingerprinted in order with a separator.
    /// - Throws: ``EventStoreError/invalidRequest(field:reason:)`` (field `Idempotency-Key`)
    ///   for an empty key, one over ``lengthMax`` or one with a character outside `!`...`~`.
    public init(_ key: String, request parts: [[UInt8]]) throws(EventStoreError) {
        guard (1...Self.lengthMax).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalidRequest(field: "Idempotency-Key", reason: "must be 1-\(Self.lengthMax) visible ASCII characters (no spaces)")
        }
        self.init(checked: key, request: parts)
    }

    /// The key of the `index`th command `reaction` sent for the event `event`: `reaction NAME
    /// EVENT INDEX`, with spaces, which no client's key has, so no client can take it first.
    init(reaction: String, event: EventID, index: Int, request parts: [[UInt8]]) {
        self.init(checked: "reaction \(reaction) \(event) \(index)", request: parts)
    }

    private init(checked key: String, request parts: [[UInt8]]) {
        self.key = key
        var hash = Self.offsetBasis
        for part in parts {
            for byte in part { hash = (hash ^ UInt128(byte)) &* Self.prime }
            hash = (hash ^ 0xFF) &* Self.prime
        }
        self.fingerprint = hash
    }

    private static let offsetBasis: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
    private static let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B
}
