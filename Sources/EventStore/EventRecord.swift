import EventModel
import LMDB
import Sealing
import Zstd

/// The layout of one record in the `log` database (the key is the position, 8 bytes big-endian).
///
/// ```
/// offset size field (little-endian)
///  0      1   format version (1)
///  1      1   flags: bit 0 = payload is a zstd frame (with content checksum); bit 1 = the
///             payload is sealed: AES-256-GCM under its object's data key, the store's sealing
///             epoch, the stream number and the event id (bytes 60-63, 8-15 and 32-47 of the
///             header, 28 bytes) as the nonce and the type as additional data, the 16-byte tag
///             after it. An id is unique within a stream, a new incarnation of an object gets
///             new stream numbers, and a restore (which rolls ids back) draws a new epoch, so
///             no nonce seals two plaintexts under one key
///  2      2   type length
///  4      4   CRC-32C of bytes [8, end)
///  8      8   stream number
/// 16      8   seq
/// 24      8   commit time, ms since the epoch
/// 32     16   event id (big-endian halves)
/// 48      4   data length (uncompressed)
/// 52      4   metadata length (uncompressed)
/// 56      4   stored payload length
/// 60      4   the sealing epoch of a sealed record, else 0
/// 64      …   type, then payload (data then metadata, or one zstd frame of both)
/// ```
enum EventRecord {
    static let formatVersion: UInt8 = 1
    static let headerBytes = 64
    static let compressedFlag: UInt8 = 1
    static let sealedFlag: UInt8 = 2
    /// The most bytes of data and metadata a record may say it decompresses to (any event the
    /// limits allow is far below): a record saying more is damaged.
    static let payloadBytesMax = 1 << 30

    /// The size of a record with this type and stored payload.
    @inline(__always)
    static func size(typeCount: Int, payloadCount: Int) -> Int { headerBytes + typeCount + payloadCount }

    /// Writes a whole record into `buffer` (exactly ``size(typeCount:payloadCount:)`` bytes,
    /// the payload's count grown by ``AESGCM/tagBytes`` when sealed), checksum last; with
    /// `seal`, the payload sealed under its key by its context.
    @inline(__always)
    static func write(
        into buffer: UnsafeMutableRawBufferPointer, stream: UInt64, seq: Seq, timeMilliseconds: Int64, id: EventID,
        type: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, isCompressed: Bool, dataLength: Int, metadataLength: Int,
        seal: (key: [UInt8], context: AESGCM, epoch: UInt32)? = nil
    ) throws {
        let storedCount = payload.count + (seal == nil ? 0 : AESGCM.tagBytes)
        buffer.storeBytes(of: formatVersion, toByteOffset: 0, as: UInt8.self)
        buffer.storeBytes(of: (isCompressed ? compressedFlag : 0) | (seal == nil ? 0 : sealedFlag), toByteOffset: 1, as: UInt8.self)
        buffer.storeBytes(of: UInt16(type.count).littleEndian, toByteOffset: 2, as: UInt16.self)
        buffer.storeBytes(of: stream.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: seq.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: timeMilliseconds.littleEndian, toByteOffset: 24, as: Int64.self)
        buffer.storeBytes(of: id.high.bigEndian, toByteOffset: 32, as: UInt64.self)
        buffer.storeBytes(of: id.low.bigEndian, toByteOffset: 40, as: UInt64.self)
        buffer.storeBytes(of: UInt32(dataLength).littleEndian, toByteOffset: 48, as: UInt32.self)
        buffer.storeBytes(of: UInt32(metadataLength).littleEndian, toByteOffset: 52, as: UInt32.self)
        buffer.storeBytes(of: UInt32(storedCount).littleEndian, toByteOffset: 56, as: UInt32.self)
        buffer.storeBytes(of: (seal?.epoch ?? 0).littleEndian, toByteOffset: 60, as: UInt32.self)
        UnsafeMutableRawBufferPointer(rebasing: buffer[headerBytes...]).copyMemory(from: type)
        let stored = UnsafeMutableRawBufferPointer(rebasing: buffer[(headerBytes + type.count)...])
        if let seal {
            var nonce = (UInt64(0), UInt64(0), UInt64(0), UInt32(0))
            let count = withUnsafeMutableBytes(of: &nonce) { Self.nonce(of: UnsafeRawBufferPointer(buffer), into: $0) }
            try withUnsafeBytes(of: nonce) { nonce in
                let nonce = UnsafeRawBufferPointer(rebasing: nonce[..<count])
                try seal.key.withUnsafeBytes { key in try seal.context.seal(payload, key: key, nonce: nonce, additionalData: type, into: stored) }
            }
        } else {
            stored.copyMemory(from: payload)
        }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[8...]))
        buffer.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// Writes a sealed record's nonce into `nonce` (at least 28 bytes) and returns its length:
    /// its stream number and event id, as its header holds them, then its sealing epoch when it
    /// has one (28 bytes; records sealed before epochs had none: 24).
    @inline(__always)
    static func nonce(of record: UnsafeRawBufferPointer, into nonce: UnsafeMutableRawBufferPointer) -> Int {
        nonce.copyMemory(from: UnsafeRawBufferPointer(rebasing: record[8..<16]))
        UnsafeMutableRawBufferPointer(rebasing: nonce[8..<24]).copyMemory(from: UnsafeRawBufferPointer(rebasing: record[32..<48]))
        guard record.loadUnaligned(fromByteOffset: 60, as: UInt32.self) != 0 else { return 24 }
        UnsafeMutableRawBufferPointer(rebasing: nonce[24..<28]).copyMemory(from: UnsafeRawBufferPointer(rebasing: record[60..<64]))
        return 28
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

    /// The event id of a record, without checking it (for freeing a compacted event's id).
    static func id(_ record: UnsafeRawBufferPointer) -> EventID? {
        guard record.count >= headerBytes else { return nil }
        return EventID(
            high: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
            low: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 40, as: UInt64.self)))
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

/// Checks and decodes records, opening sealed payloads and decompressing them into scratch
/// buffers it reuses; one per read, never shared between threads.
final class RecordDecoder {
    /// The type an erased object's records read as.
    static let erasedType = "ObjectErased"
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 8)
    private var opened = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 8)
    private lazy var decompressor = ZstdDecompressor()
    private lazy var gcm = AESGCM()
    private let layout: StoreLayout?
    /// Each stream's key state, as looked up for this read.
    private var keys: [UInt64: ObjectKeyState?] = [:]

    /// A decoder; with `layout`, one that opens sealed records with their objects' keys (its
    /// key ring's) read in the transaction each ``decode(position:record:in:)`` is given.
    init(layout: StoreLayout? = nil) { self.layout = layout }

    deinit {
        scratch.deallocate()
        opened.deallocate()
    }

    /// ``decode(position:record:)``, opening a sealed record with its object's key, read in
    /// `transaction`. A record of an erased object reads as an `ObjectErased` event
    /// (`{"erasedAt": T}`, no metadata) with the record's position, seq, id and time.
    @inline(__always)
    func decode(position: Position, record: UnsafeRawBufferPointer, in transaction: some ReadableTransaction) throws(EventStoreError) -> StoredEvent {
        guard record.count > 1, record[1] & EventRecord.sealedFlag != 0 else { return try decode(position: position, record: record) }
        let stream = record.count >= EventRecord.headerBytes ? UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) : 0
        let state: ObjectKeyState?
        if let known = keys[stream] {
            state = known
        } else {
            do { state = try keyState(ofStream: stream, in: transaction) } catch let error as EventStoreError { throw error } catch {
                throw .storageFailure(error as? LMDBError ?? LMDBError(code: -1))
            }
            keys[stream] = state
        }
        return try decode(position: position, record: record, key: state)
    }

    private func keyState(ofStream stream: UInt64, in transaction: some ReadableTransaction) throws -> ObjectKeyState? {
        try layout?.keyState(ofStream: stream, in: transaction)
    }

    /// Checks `record`'s length and CRC-32C and returns its fields, borrowed from `record` or
    /// from the scratch buffers (valid until the next call); a sealed record is opened with
    /// `key` (its object's).
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for any inconsistency, a
    ///   sealed record without its key, or one whose seal does not verify.
    @inline(__always)
    func decode(position: Position, record: UnsafeRawBufferPointer, key: ObjectKeyState?? = nil) throws(EventStoreError) -> StoredEvent {
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
        if record[1] & EventRecord.sealedFlag != 0 {
            switch key {
            case .some(.some(.key(let key))):
                var nonce = (UInt64(0), UInt64(0), UInt64(0), UInt32(0))
                let count = withUnsafeMutableBytes(of: &nonce) { EventRecord.nonce(of: record, into: $0) }
                payload = try withUnsafeBytes(of: nonce) { nonce throws(EventStoreError) in
                    try open(
                        payload, key: key, nonce: UnsafeRawBufferPointer(rebasing: nonce[..<count]),
                        type: UnsafeRawBufferPointer(rebasing: record[header..<(header + typeCount)]), position: position)
                }
            case .some(.some(.erased(let time))):
                return erasedEvent(record, position: position, erasedAt: time)
            case .some(.none):
                throw .corruptRecord(position: position, reason: "it is sealed, and its object has no key")
            case .none:
                throw .corruptRecord(position: position, reason: "it is sealed, and the store was opened without a master key")
            }
        }
        if record[1] & EventRecord.compressedFlag != 0 {
            payload = try decompress(payload, count: dataLength + metadataLength, position: position)
        }
        guard payload.count == dataLength + metadataLength else {
            throw .corruptRecord(position: position, reason: "payload length does not match its header")
        }
        return Self.event(
            record, position: position, type: UnsafeRawBufferPointer(rebasing: record[header..<(header + typeCount)]),
            data: UnsafeRawBufferPointer(rebasing: payload[..<dataLength]), metadata: UnsafeRawBufferPointer(rebasing: payload[dataLength...]))
    }

    /// The event of `record` at `position` (its seq, stream, time and id from its header) with
    /// these type, data and metadata.
    @inline(__always)
    private static func event(
        _ record: UnsafeRawBufferPointer, position: Position, type: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer
    ) -> StoredEvent {
        StoredEvent(
            position: position,
            seq: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            stream: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            timeMilliseconds: Int64(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int64.self)),
            id: EventID(
                high: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
                low: UInt64(bigEndian: record.loadUnaligned(fromByteOffset: 40, as: UInt64.self))),
            type: type, data: data, metadata: metadata)
    }

    private func open(
        _ sealed: UnsafeRawBufferPointer, key: [UInt8], nonce: UnsafeRawBufferPointer, type: UnsafeRawBufferPointer, position: Position
    ) throws(EventStoreError) -> UnsafeRawBufferPointer {
        guard sealed.count >= AESGCM.tagBytes, sealed.count <= EventRecord.payloadBytesMax else {
            throw .corruptRecord(position: position, reason: "sealed payload shorter than its tag")
        }
        let count = sealed.count - AESGCM.tagBytes
        if opened.count < count {
            opened.deallocate()
            opened = .allocate(byteCount: max(count, 4096), alignment: 8)
        }
        do {
            try key.withUnsafeBytes { key in
                try gcm.open(sealed, key: key, nonce: nonce, additionalData: type, into: UnsafeMutableRawBufferPointer(rebasing: opened[..<count]))
            }
        } catch {
            throw .corruptRecord(position: position, reason: "its seal does not verify (\(error))")
        }
        return UnsafeRawBufferPointer(rebasing: opened[..<count])
    }

    /// The `ObjectErased` event a record of an erased object reads as.
    private func erasedEvent(_ record: UnsafeRawBufferPointer, position: Position, erasedAt time: Int64) -> StoredEvent {
        let text = Array(Self.erasedType.utf8) + Array("{\"erasedAt\":\(time)}{}".utf8)
        if opened.count < text.count {
            opened.deallocate()
            opened = .allocate(byteCount: 4096, alignment: 8)
        }
        text.withUnsafeBytes { opened.copyMemory(from: $0) }
        let bytes = UnsafeRawBufferPointer(rebasing: opened[..<text.count])
        let typeCount = Self.erasedType.utf8.count
        let dataEnd = bytes.count - 2
        return Self.event(
            record, position: position, type: UnsafeRawBufferPointer(rebasing: bytes[..<typeCount]),
            data: UnsafeRawBufferPointer(rebasing: bytes[typeCount..<dataEnd]), metadata: UnsafeRawBufferPointer(rebasing: bytes[dataEnd...]))
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
