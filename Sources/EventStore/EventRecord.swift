import EventModel
import Zstd

/// The layout of one record in the `log` database (the key is the position, 8 bytes big-endian).
///
/// ```
/// offset size field (little-endian)
///  0      1   format version (1)
///  1      1   flags: bit 0 = payload is a zstd frame (with content checksum)
///  2      2   type length
///  4      4   CRC-32C of bytes [8, end)
///  8      8   stream number
/// 16      8   seq
/// 24      8   commit time, ms since the epoch
/// 32     16   event id (big-endian halves)
/// 48      4   data length (uncompressed)
/// 52      4   metadata length (uncompressed)
/// 56      4   stored payload length
/// 60      4   reserved, 0
/// 64      …   type, then payload (data then metadata, or one zstd frame of both)
/// ```
enum EventRecord {
    static let formatVersion: UInt8 = 1
    static let headerBytes = 64
    static let compressedFlag: UInt8 = 1
    /// The most bytes of data and metadata a record may say it decompresses to (any event the
    /// limits allow is far below): a record saying more is damaged.
    static let payloadBytesMax = 1 << 30

    /// The size of a record with this type and stored payload.
    @inline(__always)
    static func size(typeCount: Int, payloadCount: Int) -> Int { headerBytes + typeCount + payloadCount }

    /// Writes a whole record into `buffer` (exactly ``size(typeCount:payloadCount:)`` bytes),
    /// checksum last.
    @inline(__always)
    static func write(
        into buffer: UnsafeMutableRawBufferPointer, stream: UInt64, seq: Seq, timeMilliseconds: Int64, id: EventID,
        type: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, isCompressed: Bool, dataLength: Int, metadataLength: Int
    ) {
        buffer.storeBytes(of: formatVersion, toByteOffset: 0, as: UInt8.self)
        buffer.storeBytes(of: isCompressed ? compressedFlag : 0, toByteOffset: 1, as: UInt8.self)
        buffer.storeBytes(of: UInt16(type.count).littleEndian, toByteOffset: 2, as: UInt16.self)
        buffer.storeBytes(of: stream.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: seq.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: timeMilliseconds.littleEndian, toByteOffset: 24, as: Int64.self)
        buffer.storeBytes(of: id.high.bigEndian, toByteOffset: 32, as: UInt64.self)
        buffer.storeBytes(of: id.low.bigEndian, toByteOffset: 40, as: UInt64.self)
        buffer.storeBytes(of: UInt32(dataLength).littleEndian, toByteOffset: 48, as: UInt32.self)
        buffer.storeBytes(of: UInt32(metadataLength).littleEndian, toByteOffset: 52, as: UInt32.self)
        buffer.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 56, as: UInt32.self)
        buffer.storeBytes(of: UInt32(0), toByteOffset: 60, as: UInt32.self)
        UnsafeMutableRawBufferPointer(rebasing: buffer[headerBytes...]).copyMemory(from: type)
        UnsafeMutableRawBufferPointer(rebasing: buffer[(headerBytes + type.count)...]).copyMemory(from: payload)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[8...]))
        buffer.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// The stream and seq of a record, without checking it (for index checks and idempotency).
    @inline(__always)
    static func streamAndSeq(_ record: UnsafeRawBufferPointer) -> (stream: UInt64, seq: Seq)? {
        guard record.count >= headerBytes else { return nil }
        return (
            UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        )
    }

    /// The event type of a record, without checking it (for a reaction passing over the events
    /// it does not react to: the ones it does react to are checked whole); nil when the record
    /// is too short to hold one.
    static func type(_ record: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard record.count >= headerBytes else { return nil }
        let count = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        guard record.count >= headerBytes + count else { return nil }
        return UnsafeRawBufferPointer(rebasing: record[headerBytes..<(headerBytes + count)])
    }

    /// The commit time of a record, ms since the epoch, without checking it (for listings).
    static func commitTime(_ record: UnsafeRawBufferPointer) -> Int64? {
        guard record.count >= headerBytes else { return nil }
        return Int64(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int64.self))
    }
}

/// Checks and decodes records, decompressing payloads into a scratch buffer it reuses; one per
/// read, never shared between threads.
final class RecordDecoder {
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 8)
    private lazy var decompressor = ZstdDecompressor()

    deinit { scratch.deallocate() }

    /// Checks `record`'s length and CRC-32C and returns its fields, borrowed from `record` or
    /// from the scratch buffer (valid until the next call).
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for any inconsistency.
    @inline(__always)
    func decode(position: Position, record: UnsafeRawBufferPointer) throws(EventStoreError) -> StoredEvent {
        let header = EventRecord.headerBytes
        guard record.count >= header, record[0] == EventRecord.formatVersion else {
            throw .corruptRecord(position: position, reason: "bad record header")
        }
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: record[8...])) == stored else {
            throw .corruptRecord(position: position, reason: "CRC32C mismatch")
        }
        let typeCount = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let dataLength = Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 48, as: UInt32.self)))
        let metadataLength = Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 52, as: UInt32.self)))
        let payloadCount = Int(UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 56, as: UInt32.self)))
        guard header + typeCount + payloadCount == record.count else {
            throw .corruptRecord(position: position, reason: "record length does not match its header")
        }
        var payload = UnsafeRawBufferPointer(rebasing: record[(header + typeCount)...])
        if record[1] & EventRecord.compressedFlag != 0 {
            payload = try decompress(payload, count: dataLength + metadataLength, position: position)
        }
        guard payload.count == dataLength + metadataLength else {
            throw .corruptRecord(position: position, reason: "payload length does not match its header")
        }
        return StoredEvent(
            position: position,
            seq: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            stream: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            timeMilliseconds: Int64(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
            id: EventID(
                high: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
                low: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 40, as: UInt64.self))),
            type: UnsafeRawBufferPointer(rebasing: record[header..<(header + typeCount)]),
            data: UnsafeRawBufferPointer(rebasing: payload[..<dataLength]),
            metadata: UnsafeRawBufferPointer(rebasing: payload[dataLength...]))
    }

    private func decompress(_ frame: UnsafeRawBufferPointer, count: Int, position: Position) throws(EventStoreError) -> UnsafeRawBufferPointer {
        // Lengths checked before any memory is taken for them (found by fuzzing: a damaged
        // length would have allocated gigabytes).
        guard count <= EventRecord.payloadBytesMax, ZstdDecompressor.contentSize(of: frame) == count else {
            throw .corruptRecord(position: position, reason: "compressed payload: its frame does not hold the \(count) bytes the record says")
        }
        if scratch.count < count {
            scratch.deallocate()
            scratch = .allocate(byteCount: max(count, 4096), alignment: 8)
        }
        do {
            let written = try decompressor.decompress(frame, into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<count]))
            return UnsafeRawBufferPointer(rebasing: scratch[..<written])
        } catch {
            throw .corruptRecord(position: position, reason: "compressed payload: \(error.message)")
        }
    }
}
