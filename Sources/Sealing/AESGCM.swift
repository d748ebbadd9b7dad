import COpenSSL
import Glibc

/// AES-256-GCM over borrowed buffers, with one OpenSSL cipher context kept per key (and
/// direction) for the last ``contextsMax`` keys used: a call with a key met before only sets
/// the nonce on its context (OpenSSL 3's set-up of a context for a key costs microseconds: a
/// writer sealing the events of many objects in turn, or a reader opening a stream, pays it once
/// per key), and allocates nothing. Not thread-safe: one per thread or task at a time.
public final class AESGCM {
    /// Keys whose contexts are kept; past it, every context is freed and made again as needed.
    public static let contextsMax = 512
    /// A key's length, bytes.
    public static let keyBytes = 32
    /// The authentication tag appended to every sealed message, bytes.
    public static let tagBytes = 16
    /// The length of a random nonce (``randomNonce()``), bytes.
    public static let nonceBytes = 12

    /// What a context is set up for: a key, a direction and a nonce length.
    private struct Setup: Hashable {
        let key: (UInt64, UInt64, UInt64, UInt64)
        let encrypting: Bool
        let nonceCount: Int

        init(_ key: UnsafeRawBufferPointer, encrypting: Bool, nonceCount: Int) {
            self.key = (key.loadUnaligned(as: UInt64.self), key.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                        key.loadUnaligned(fromByteOffset: 16, as: UInt64.self), key.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            self.encrypting = encrypting
            self.nonceCount = nonceCount
        }

        static func == (a: Setup, b: Setup) -> Bool {
            a.key.0 == b.key.0 && a.key.1 == b.key.1 && a.key.2 == b.key.2 && a.key.3 == b.key.3 && a.encrypting == b.encrypting && a.nonceCount == b.nonceCount
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(key.0)
            hasher.combine(key.1)
            hasher.combine(key.2)
            hasher.combine(key.3)
            hasher.combine(encrypting)
            hasher.combine(nonceCount)
        }
    }

    private var contexts: [Setup: OpaquePointer] = [:]
    /// The context of the last call, and what it is set up for.
    private var current: (setup: Setup, context: OpaquePointer)?

    /// A sealer and opener, with no context made yet.
    public init() {}

    deinit { for context in contexts.values { EVP_CIPHER_CTX_free(context) } }

    /// Seals `plaintext` under `key` with `nonce` (12 to 32 bytes, never used twice with one
    /// key for different plaintexts), binding `additionalData`: writes the ciphertext then the
    /// tag into `output`, which must hold exactly `plaintext.count + tagBytes` bytes.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer,
        additionalData: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), into output: UnsafeMutableRawBufferPointer
    ) throws(SealingError) {
        guard output.count == plaintext.count + Self.tagBytes else { throw .badLength("the output") }
        let context = try start(encrypting: true, key: key, nonce: nonce)
        try feed(context, additionalData, plaintext: plaintext, into: output.baseAddress)
        var last: Int32 = 0
        guard EVP_EncryptFinal_ex(context, output.baseAddress?.assumingMemoryBound(to: UInt8.self).advanced(by: plaintext.count), &last) == 1 else {
            throw .failed("EVP_EncryptFinal_ex")
        }
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagBytes), output.baseAddress! + plaintext.count) == 1 else {
            throw .failed("EVP_CTRL_GCM_GET_TAG")
        }
    }

    /// Opens what ``seal(_:key:nonce:additionalData:into:)`` wrote, with the same key, nonce
    /// and additional data, into `output` (exactly `sealed.count - tagBytes` bytes).
    /// - Throws: ``SealingError/notAuthentic`` when the tag does not verify (nothing in
    ///   `output` may be used then).
    public func open(
        _ sealed: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer,
        additionalData: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), into output: UnsafeMutableRawBufferPointer
    ) throws(SealingError) {
        guard sealed.count >= Self.tagBytes, output.count == sealed.count - Self.tagBytes else { throw .badLength("the sealed bytes or the output") }
        let context = try start(encrypting: false, key: key, nonce: nonce)
        try feed(context, additionalData, plaintext: UnsafeRawBufferPointer(rebasing: sealed[..<output.count]), into: output.baseAddress, decrypting: true)
        let tag = UnsafeMutableRawPointer(mutating: sealed.baseAddress! + output.count)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagBytes), tag) == 1 else { throw .failed("EVP_CTRL_GCM_SET_TAG") }
        var last: Int32 = 0
        var scratch: UInt8 = 0
        guard EVP_DecryptFinal_ex(context, &scratch, &last) == 1 else { throw .notAuthentic }
    }

    /// `plaintext` sealed under `key` with `nonce`, binding `additionalData`: the ciphertext then
    /// the tag, in a new array (for values sealed now and then: keys, archive lines; the hot
    /// paths write into their own buffers with ``seal(_:key:nonce:additionalData:into:)``).
    public static func sealed(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8]) throws(SealingError) -> [UInt8] {
        try transform(plaintext, outputCount: plaintext.count + tagBytes, key: key, nonce: nonce, additionalData: additionalData) { (input, key, nonce, data, output) throws(SealingError) in
            try AESGCM().seal(input, key: key, nonce: nonce, additionalData: data, into: output)
        }
    }

    /// What ``sealed(_:key:nonce:additionalData:)`` made, opened with the same key, nonce and
    /// additional data, in a new array.
    /// - Throws: ``SealingError/notAuthentic`` when it does not verify.
    public static func opened(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8]) throws(SealingError) -> [UInt8] {
        guard sealed.count >= tagBytes else { throw .badLength("the sealed bytes") }
        return try transform(sealed, outputCount: sealed.count - tagBytes, key: key, nonce: nonce, additionalData: additionalData) { (input, key, nonce, data, output) throws(SealingError) in
            try AESGCM().open(input, key: key, nonce: nonce, additionalData: data, into: output)
        }
    }

    /// `input` sealed or opened by `body` into a new array of `outputCount` bytes.
    private static func transform(
        _ input: [UInt8], outputCount: Int, key: [UInt8], nonce: [UInt8], additionalData: [UInt8],
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer) throws(SealingError) -> Void
    ) throws(SealingError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outputCount)
        var failure: SealingError?
        input.withUnsafeBytes { input in
            key.withUnsafeBytes { key in
                nonce.withUnsafeBytes { nonce in
                    additionalData.withUnsafeBytes { data in
                        output.withUnsafeMutableBytes { output in
                            do throws(SealingError) { try body(input, key, nonce, data, output) } catch { failure = error }
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Fills `buffer` from OpenSSL's random generator (seeded by the system; per thread).
    public static func random(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        guard RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
            fatalError("OpenSSL's random generator failed")
        }
    }

    /// A new random key.
    public static func randomKey() -> [UInt8] {
        var key = [UInt8](repeating: 0, count: keyBytes)
        key.withUnsafeMutableBytes { random($0) }
        return key
    }

    /// The context for `key` in this direction, its nonce set to `nonce`.
    private func start(encrypting: Bool, key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer) throws(SealingError) -> OpaquePointer {
        guard key.count == Self.keyBytes else { throw .badLength("the key") }
        guard nonce.count >= 12, nonce.count <= 32 else { throw .badLength("the nonce") }
        let initialise = encrypting ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let nonceBytes = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let setup = Setup(key, encrypting: encrypting, nonceCount: nonce.count)
        if let current, current.setup == setup {
            guard initialise(current.context, nil, nil, nil, nonceBytes) == 1 else { throw .failed("EVP_CipherInit_ex") }
            return current.context
        }
        if let context = contexts[setup] {
            current = (setup, context)
            guard initialise(context, nil, nil, nil, nonceBytes) == 1 else { throw .failed("EVP_CipherInit_ex") }
            return context
        }
        if contexts.count >= Self.contextsMax {
            for context in contexts.values { EVP_CIPHER_CTX_free(context) }
            contexts.removeAll(keepingCapacity: true)
            current = nil
        }
        guard let context = EVP_CIPHER_CTX_new() else { fatalError("OpenSSL cannot allocate a cipher context") }
        guard initialise(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            initialise(context, nil, nil, key.baseAddress!.assumingMemoryBound(to: UInt8.self), nonceBytes) == 1
        else {
            EVP_CIPHER_CTX_free(context)
            throw .failed("EVP_CipherInit_ex")
        }
        contexts[setup] = context
        current = (setup, context)
        return context
    }

    private func feed(
        _ context: OpaquePointer, _ additionalData: UnsafeRawBufferPointer, plaintext input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer?, decrypting: Bool = false
    ) throws(SealingError) {
        let update = decrypting ? EVP_DecryptUpdate : EVP_EncryptUpdate
        var written: Int32 = 0
        if additionalData.count > 0 {
            guard update(context, nil, &written, additionalData.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(additionalData.count)) == 1 else {
                throw .failed("EVP_CipherUpdate (additional data)")
            }
        }
        if input.count > 0 {
            guard update(context, output!.assumingMemoryBound(to: UInt8.self), &written, input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)) == 1
            else { throw .failed("EVP_CipherUpdate") }
        }
    }
}
