import Sealing
import Testing

@Suite("AES-256-GCM: sealed bytes open with the same key, nonce and additional data only")
struct AESGCMTests {
    @Test("NIST's test case 14 (256-bit key, zero plaintext block, 96-bit nonce) gives its ciphertext and tag")
    func knownAnswer() throws {
        let key = [UInt8](repeating: 0, count: 32)
        let nonce = [UInt8](repeating: 0, count: 12)
        let plaintext = [UInt8](repeating: 0, count: 16)
        var output = [UInt8](repeating: 0, count: 32)
        try plaintext.withUnsafeBytes { p in
            try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try output.withUnsafeMutableBytes { try AESGCM().seal(p, key: k, nonce: n, into: $0) } } }
        }
        let hex = output.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        #expect(hex == "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test("a sealed message opens; a flipped bit, another key, nonce or additional data does not; one context serves many calls")
    func roundTrip() throws {
        let gcm = AESGCM()
        let key = AESGCM.randomKey()
        let other = AESGCM.randomKey()
        let nonce: [UInt8] = Array(0..<16)
        let message = Array("{\"customer\":\"Alice\",\"card\":\"4111\"}".utf8)
        let additional = Array("Deposited".utf8)
        func seal(_ key: [UInt8], _ nonce: [UInt8], _ additional: [UInt8]) throws -> [UInt8] {
            var sealed = [UInt8](repeating: 0, count: message.count + AESGCM.tagBytes)
            try message.withUnsafeBytes { m in
                try key.withUnsafeBytes { k in
                    try nonce.withUnsafeBytes { n in
                        try additional.withUnsafeBytes { a in try sealed.withUnsafeMutableBytes { try gcm.seal(m, key: k, nonce: n, additionalData: a, into: $0) } }
                    }
                }
            }
            return sealed
        }
        func open(_ sealed: [UInt8], _ key: [UInt8], _ nonce: [UInt8], _ additional: [UInt8]) throws -> [UInt8] {
            var output = [UInt8](repeating: 0, count: sealed.count - AESGCM.tagBytes)
            try sealed.withUnsafeBytes { s in
                try key.withUnsafeBytes { k in
                    try nonce.withUnsafeBytes { n in
                        try additional.withUnsafeBytes { a in try output.withUnsafeMutableBytes { try gcm.open(s, key: k, nonce: n, additionalData: a, into: $0) } }
                    }
                }
            }
            return output
        }
        let sealed = try seal(key, nonce, additional)
        #expect(!sealed.starts(with: message.prefix(8)), "not the plaintext")
        #expect(try open(sealed, key, nonce, additional) == message)
        var flipped = sealed
        flipped[3] ^= 1
        #expect(throws: SealingError.notAuthentic) { try open(flipped, key, nonce, additional) }
        #expect(throws: SealingError.notAuthentic) { try open(sealed, other, nonce, additional) }
        #expect(throws: SealingError.notAuthentic) { try open(sealed, key, Array(1..<17), additional) }
        #expect(throws: SealingError.notAuthentic) { try open(sealed, key, nonce, Array("Withdrawn".utf8)) }
        #expect(throws: SealingError.badLength("the key")) { try seal(Array(key.prefix(16)), nonce, additional) }
        for _ in 0..<1_000 { #expect(try open(try seal(key, nonce, []), key, nonce, []) == message) }
    }
}
