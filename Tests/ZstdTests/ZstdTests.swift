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

    @Test("a stream of any size round-trips in pieces; one damaged or cut short fails")
    func stream() throws {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<3_000_000).map { index in index % 7 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(index % 31) }
        var frame: [UInt8] = []
        var offset = 0
        try ZstdCompressor(level: 3).compressStream(
            read: { buffer in
                let count = min(buffer.count, input.count - offset, 70_001)
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: input.withUnsafeBytes { $0 }[offset..<(offset + count)]))
                offset += count
                return count
            },
            write: { frame += $0 })
        #expect(frame.count < input.count / 2)
        func decompress(_ frame: [UInt8]) throws -> [UInt8] {
            var output: [UInt8] = []
            var position = 0
            try ZstdDecompressor().decompressStream(
                read: { buffer in
                    let count = min(buffer.count, frame.count - position, 12_345)
                    frame.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<(position + count)])) }
                    position += count
                    return count
                },
                write: { output += $0 })
            return output
        }
        #expect(try decompress(frame) == input)
        var damaged = frame
        damaged[damaged.count / 2] ^= 0x40
        #expect(throws: (any Error).self) { _ = try decompress(damaged) }
        #expect(throws: (any Error).self) { _ = try decompress(Array(frame.dropLast(10))) }
    }
}
