import Testing
import Zstd

@Suite("zstd contexts")
struct ZstdTests {
    @Test("a frame decompresses to the original, and a damaged frame fails instead of decoding wrong bytes")
    func roundTripAndDamage() throws {
        let input = Array(String(repeating: "{\"sku\":\"sku-42\",\"qty\":10}", count: 100).utf8)
        let compressor = ZstdCompressor(level: 3)
        var frame = [UInt8](repeating: 0, count: ZstdCompressor.bound(input.count))
        let count = try input.withUnsafeBytes { source in try frame.withUnsafeMutableBytes { try compressor.compress(source, into: $0) } }
        #expect(count < input.count / 4)
        frame.removeLast(frame.count - count)
        let decompressor = ZstdDecompressor()
        var output = [UInt8](repeating: 0, count: input.count)
        let written = try frame.withUnsafeBytes { source in try output.withUnsafeMutableBytes { try decompressor.decompress(source, into: $0) } }
        #expect(written == input.count && output == input)

        var failures = 0
        for index in stride(from: 0, to: frame.count, by: max(1, frame.count / 40)) {
            var damaged = frame
            damaged[index] ^= 0x10
            do {
                let written = try damaged.withUnsafeBytes { source in try output.withUnsafeMutableBytes { try decompressor.decompress(source, into: $0) } }
                #expect(written == input.count && output == input, "a flipped bit at \(index) decoded into different bytes without an error")
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}
