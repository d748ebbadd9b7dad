import EventModel
import LMDB

/// The answers remembered for idempotency keys, in the `idempotency` database, written in the
/// transaction of the write they answer (so a key is remembered exactly when its write is
/// durable) and purged by the writer once older than the store's window.
///
/// | key | value |
/// |---|---|
/// | 1 + stream key length (2, BE) + stream key + idempotency key | ``IdempotentAnswer`` (65 bytes) |
/// | 2 + created (8, BE) + the key above | empty: the index the purge walks, oldest first |
///
/// Only writes that succeeded are remembered: a refused request wrote nothing, so sending it
/// again decides it again.
struct IdempotencyLedger {
    let layout: StoreLayout
    /// How long an answer is kept, ms.
    let windowMilliseconds: Int64

    private static let answerTag: UInt8 = 1
    private static let timeTag: UInt8 = 2
    /// Entries the purge deletes per transaction at most, so it never holds the writer long.
    static let purgeBatchMax = 256

    /// What `key` on `stream` was answered within the window: the answer, a refusal when the
    /// key names another request, nil when it is new (or expired).
    func find(_ key: IdempotencyKey, on stream: StreamName, command: Bool, now: Int64, in transaction: some ReadableTransaction)
        throws -> Result<IdempotentAnswer, EventStoreError>?
    {
        let primary = Self.primaryKey(key, stream)
        guard let stored = try primary.withUnsafeBytes({ try transaction.get(layout.idempotency, key: $0) }).flatMap(IdempotentAnswer.init),
            stored.createdMilliseconds > now - windowMilliseconds
        else { return nil }
        guard stored.fingerprint == key.fingerprint, (stored.kind == .command) == command else {
            return .failure(.idempotencyKeyReused(key: key.key))
        }
        return .success(stored)
    }

    /// Remembers `answer` for `key` on `stream` (replacing an expired one).
    func remember(_ answer: IdempotentAnswer, for key: IdempotencyKey, on stream: StreamName, in transaction: WriteTransaction) throws {
        let primary = Self.primaryKey(key, stream)
        try primary.withUnsafeBytes { key in try answer.bytes.withUnsafeBytes { try transaction.put(layout.idempotency, key: key, value: $0) } }
        try Self.timeKey(answer.createdMilliseconds, primary).withUnsafeBytes { key in
            try transaction.put(layout.idempotency, key: key, value: UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    /// Deletes up to ``purgeBatchMax`` answers created before `now` minus the window, oldest
    /// first; an index entry whose answer was replaced since goes without its answer.
    func purge(now: Int64, in transaction: WriteTransaction) throws {
        let cutoff = now - windowMilliseconds
        var expired: [(index: [UInt8], primary: [UInt8], created: Int64)] = []
        try transaction.withCursor(layout.idempotency) { cursor in
            var entry = try [Self.timeTag].withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, expired.count < Self.purgeBatchMax, current.key.count > 9, current.key[0] == Self.timeTag {
                let created = Int64(bitPattern: StoreKeys.integer(UnsafeRawBufferPointer(rebasing: current.key[1...])))
                guard created <= cutoff else { break }
                expired.append((Array(current.key), Array(current.key[9...]), created))
                entry = try cursor.next()
            }
        }
        for entry in expired {
            _ = try entry.index.withUnsafeBytes { try transaction.delete(layout.idempotency, key: $0) }
            let answer = try entry.primary.withUnsafeBytes { try transaction.get(layout.idempotency, key: $0) }.flatMap(IdempotentAnswer.init)
            if answer?.createdMilliseconds == entry.created {
                _ = try entry.primary.withUnsafeBytes { try transaction.delete(layout.idempotency, key: $0) }
            }
        }
    }

    private static func primaryKey(_ key: IdempotencyKey, _ stream: StreamName) -> [UInt8] {
        let storageKey = stream.storageKey
        var bytes: [UInt8] = [answerTag, UInt8(storageKey.count >> 8), UInt8(storageKey.count & 0xFF)]
        bytes.reserveCapacity(3 + storageKey.count + key.key.utf8.count)
        bytes.append(contentsOf: storageKey)
        bytes.append(contentsOf: key.key.utf8)
        return bytes
    }

    private static func timeKey(_ created: Int64, _ primary: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [timeTag]
        withUnsafeBytes(of: UInt64(bitPattern: created).bigEndian) { bytes.append(contentsOf: $0) }
        return bytes + primary
    }
}

/// One remembered answer: enough to give the same answer again (the numbers of an append, or
/// where a command's events are and the version after them).
struct IdempotentAnswer: Equatable {
    /// Which kind of request it answered.
    enum Kind: UInt8 {
        case append = 1
        case appendOfSeenIDs = 2
        case command = 3
    }

    let kind: Kind
    let fingerprint: UInt128
    let createdMilliseconds: Int64
    let firstSeq: Seq
    let lastSeq: Seq
    let firstPosition: Position
    let count: UInt64
    let timeMilliseconds: Int64

    init(kind: Kind, fingerprint: UInt128, createdMilliseconds: Int64, firstSeq: Seq, lastSeq: Seq, firstPosition: Position, count: UInt64, timeMilliseconds: Int64) {
        self.kind = kind
        self.fingerprint = fingerprint
        self.createdMilliseconds = createdMilliseconds
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.firstPosition = firstPosition
        self.count = count
        self.timeMilliseconds = timeMilliseconds
    }

    init?(_ value: UnsafeRawBufferPointer) {
        guard value.count == 65, let kind = Kind(rawValue: value[0]) else { return nil }
        self.kind = kind
        fingerprint = UInt128(UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 1, as: UInt64.self))) << 64
            | UInt128(UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 9, as: UInt64.self)))
        createdMilliseconds = Int64(littleEndian: value.loadUnaligned(fromByteOffset: 17, as: Int64.self))
        firstSeq = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 25, as: UInt64.self))
        lastSeq = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 33, as: UInt64.self))
        firstPosition = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 41, as: UInt64.self))
        count = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 49, as: UInt64.self))
        timeMilliseconds = Int64(littleEndian: value.loadUnaligned(fromByteOffset: 57, as: Int64.self))
    }

    /// The answer to remember for an append.
    init(_ outcome: AppendOutcome, fingerprint: UInt128, created: Int64) {
        self.init(
            kind: outcome.isDuplicate ? .appendOfSeenIDs : .append, fingerprint: fingerprint, createdMilliseconds: created, firstSeq: outcome.firstSeq,
            lastSeq: outcome.lastSeq, firstPosition: outcome.firstPosition, count: outcome.lastSeq + 1 - outcome.firstSeq,
            timeMilliseconds: outcome.timeMilliseconds)
    }

    /// The answer to remember for a command (which may have decided no event).
    init(_ outcome: CommandOutcome, fingerprint: UInt128, created: Int64) {
        self.init(
            kind: .command, fingerprint: fingerprint, createdMilliseconds: created, firstSeq: outcome.events.first?.seq ?? outcome.version + 1,
            lastSeq: outcome.version, firstPosition: outcome.firstPosition, count: UInt64(outcome.events.count), timeMilliseconds: created)
    }

    /// The append's answer, again.
    func appendOutcome(of stream: StreamName) -> AppendOutcome {
        var outcome = AppendOutcome(
            stream: stream, firstSeq: firstSeq, lastSeq: lastSeq, firstPosition: firstPosition, lastPosition: firstPosition + count - 1,
            timeMilliseconds: timeMilliseconds, isDuplicate: kind == .appendOfSeenIDs)
        outcome.isReplay = true
        return outcome
    }

    /// The 65 stored bytes.
    var bytes: [UInt8] {
        var bytes: [UInt8] = [kind.rawValue]
        bytes.reserveCapacity(65)
        for word in [UInt64(truncatingIfNeeded: fingerprint >> 64), UInt64(truncatingIfNeeded: fingerprint), UInt64(bitPattern: createdMilliseconds),
            firstSeq, lastSeq, firstPosition, count, UInt64(bitPattern: timeMilliseconds)]
        {
            withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }
}
