import LMDB
import Sealing

/// The values an object's views keep (keyed views' rows, snapshots of summaries) sealed under
/// the object's data key, as its events are: AES-256-GCM with a random 12-byte nonce, the
/// record's LMDB key bound as additional data (a value cannot be moved to another key).
///
/// A sealed row is `0x80` + nonce + the sealed plain record + tag (a plain one starts with its
/// flags, below `0x80`). A sealed snapshot keeps its view version in front (for skipping other
/// versions without the key), then `FFFFFFFF FFFFFFFF` (a length no plain snapshot has), then
/// nonce + the sealed rest of the plain value (CRC-32C, length, zstd frame) + tag.
enum SealedValue {
    static let rowMarker: UInt8 = 0x80
    private static let snapshotMarker: UInt64 = .max

    /// Whether a stored row value is sealed.
    static func isSealedRow(_ value: UnsafeRawBufferPointer) -> Bool { value.first.map { $0 & rowMarker != 0 } ?? false }

    /// Whether a stored snapshot value is sealed.
    static func isSealedSnapshot(_ value: UnsafeRawBufferPointer) -> Bool {
        value.count > 12 && value.loadUnaligned(fromByteOffset: 4, as: UInt64.self) == snapshotMarker
    }

    /// A row's plain value sealed under `key`, bound to its record key.
    static func sealRow(_ plain: [UInt8], key: [UInt8], recordKey: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        [rowMarker] + (try seal(plain[...], key: key, bound: recordKey, context: context))
    }

    /// A snapshot's plain value sealed under `key`, bound to its record key.
    static func sealSnapshot(_ plain: [UInt8], key: [UInt8], recordKey: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        var sealed = Array(plain.prefix(4))
        withUnsafeBytes(of: snapshotMarker) { sealed += $0 }
        return sealed + (try seal(plain[4...], key: key, bound: recordKey, context: context))
    }

    /// The plain value of a sealed row.
    static func openRow(_ value: UnsafeRawBufferPointer, key: [UInt8], recordKey: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        try open(UnsafeRawBufferPointer(rebasing: value[1...]), key: key, bound: recordKey, context: context)
    }

    /// The plain value of a sealed snapshot.
    static func openSnapshot(_ value: UnsafeRawBufferPointer, key: [UInt8], recordKey: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        Array(value[..<4]) + (try open(UnsafeRawBufferPointer(rebasing: value[12...]), key: key, bound: recordKey, context: context))
    }

    private static func seal(_ plain: ArraySlice<UInt8>, key: [UInt8], bound: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: AESGCM.nonceBytes + plain.count + AESGCM.tagBytes)
        try sealed.withUnsafeMutableBytes { output in
            AESGCM.random(UnsafeMutableRawBufferPointer(rebasing: output[..<AESGCM.nonceBytes]))
            try plain.withUnsafeBytes { plain in
                try key.withUnsafeBytes { key in
                    try context.seal(
                        plain, key: key, nonce: UnsafeRawBufferPointer(rebasing: output[..<AESGCM.nonceBytes]), additionalData: bound,
                        into: UnsafeMutableRawBufferPointer(rebasing: output[AESGCM.nonceBytes...]))
                }
            }
        }
        return sealed
    }

    private static func open(_ sealed: UnsafeRawBufferPointer, key: [UInt8], bound: UnsafeRawBufferPointer, context: AESGCM) throws -> [UInt8] {
        guard sealed.count >= AESGCM.nonceBytes + AESGCM.tagBytes else { throw SealingError.badLength("a sealed value") }
        var plain = [UInt8](repeating: 0, count: sealed.count - AESGCM.nonceBytes - AESGCM.tagBytes)
        try plain.withUnsafeMutableBytes { plain in
            try key.withUnsafeBytes { key in
                try context.open(
                    UnsafeRawBufferPointer(rebasing: sealed[AESGCM.nonceBytes...]), key: key, nonce: UnsafeRawBufferPointer(rebasing: sealed[..<AESGCM.nonceBytes]),
                    additionalData: bound, into: plain)
            }
        }
        return plain
    }
}

extension StoreLayout {
    /// The key state of the object whose stream is `stream`; nil when the store does not seal,
    /// the stream is unknown, or its object has no key (written before the store sealed).
    func keyState(ofStream stream: UInt64, in transaction: some ReadableTransaction) throws -> ObjectKeyState? {
        guard let ring = keyRing else { return nil }
        guard let record = try StoreKeys.withKey(stream, { try transaction.get(streams, key: $0) }), record.count > StreamRecord.headerBytes else { return nil }
        return try ring.state(ofObject: StreamRecord.nameParts(record).object, in: transaction)
    }

    /// The data key to seal `stream`'s view values with; nil to keep them plain.
    func sealingKey(ofStream stream: UInt64, in transaction: some ReadableTransaction) throws -> [UInt8]? {
        guard stream != EventStore.logViewStream, case .key(let key)? = try keyState(ofStream: stream, in: transaction) else { return nil }
        return key
    }

    /// A row's plain value: opened with its object's key when sealed.
    /// - Throws: ``EventStoreError/corruptRecord(position:reason:)`` for a sealed row without its
    ///   key or whose seal fails.
    func plainRow(_ value: UnsafeRawBufferPointer, recordKey: UnsafeRawBufferPointer, in transaction: some ReadableTransaction) throws -> RowRecord.Version {
        guard SealedValue.isSealedRow(value) else { return try RowRecord.decode(value) }
        guard recordKey.count >= 8, let key = try sealingKey(ofStream: StoreKeys.integer(recordKey), in: transaction) else {
            throw EventStoreError.corruptRecord(position: 0, reason: "a sealed row whose object has no key")
        }
        let plain: [UInt8]
        do { plain = try SealedValue.openRow(value, key: key, recordKey: recordKey, context: AESGCM()) } catch {
            throw EventStoreError.corruptRecord(position: 0, reason: "a sealed row whose seal does not verify")
        }
        return try plain.withUnsafeBytes { try RowRecord.decode($0) }
    }

    /// A snapshot's plain value (opened with its object's key when sealed); nil when it cannot
    /// be opened (it is then unusable, and folded again like a damaged one).
    func plainSnapshot(_ value: UnsafeRawBufferPointer, recordKey: UnsafeRawBufferPointer, stream: UInt64, in transaction: some ReadableTransaction) throws -> [UInt8]? {
        guard SealedValue.isSealedSnapshot(value) else { return Array(value) }
        guard let key = try sealingKey(ofStream: stream, in: transaction) else { return nil }
        return try? SealedValue.openSnapshot(value, key: key, recordKey: recordKey, context: AESGCM())
    }
}
