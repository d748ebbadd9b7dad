import EventModel
import LMDB

/// What an erasure did.
public struct ObjectErasure: Sendable, Equatable {
    /// The object erased.
    public let object: ObjectKey
    /// When, ms since the epoch.
    public let erasedAtMilliseconds: Int64
    /// The log position of its `ObjectErased` tombstone.
    public let position: Position
}

extension EventStore {
    /// The type of the event an erasure appends to its object's `main`, and that every record of
    /// an erased object reads as in the log.
    public static let erasedEventType = RecordDecoder.erasedType

    /// Erases `object` by crypto-shredding, in one transaction: appends an `ObjectErased`
    /// tombstone (`{"erasedAt": T}`, unsealed) to its `main`, so the log and change-data capture
    /// show it; deletes every branch (views, snapshots, rows, timers, ids); and destroys its
    /// data key. Every event of it on every branch, in the log and in backups and exports taken
    /// before, is then unreadable without the master key *and* a copy of the key from before
    /// (a backup's): the log's positions stay (its records read as `ObjectErased`), and reads of
    /// it answer ``EventStoreError/objectErased(_:at:)``.
    /// - Throws: ``EventStoreError/sealingOff`` for a store without a master key;
    ///   ``EventStoreError/objectErased(_:at:)`` when it was erased before;
    ///   ``EventStoreError/branchNotFound(_:)`` for an object that never had sealed events. An
    ///   object deleted whole (no branch left) has its key destroyed without a tombstone.
    public func erase(_ object: ObjectKey) async throws(EventStoreError) -> ObjectErasure {
        guard layout.keyRing != nil else { throw .sealingOff }
        return try await submit { .erase(object, tombstone: true, $0) }
    }

    /// When `object` was erased (ms since the epoch); nil when it was not.
    public func erasure(of object: ObjectKey) throws(EventStoreError) -> Int64? {
        guard let ring = layout.keyRing else { return nil }
        // Every request about an object asks: a live object's key is in memory, read nothing.
        if ring.hasCachedKey(ofObject: object.storageName) { return nil }
        return try read { transaction in
            if case .erased(let time)? = try ring.state(ofObject: object.storageName, in: transaction) { return time }
            return nil
        }
    }
}

extension BatchApplier {
    /// Erases `object` (see ``EventStore/erase(_:)``); without `tombstone`, one a restore met
    /// the tombstone of: its branches deleted (if any are left) and its key destroyed.
    mutating func erase(_ object: ObjectKey, tombstone: Bool) throws -> Result<ObjectErasure, EventStoreError> {
        guard let sealing else { return .failure(.sealingOff) }
        if case .erased(let time)? = try sealing.ring.state(ofObject: object.storageName, in: transaction) {
            return .failure(.objectErased(object, at: time))
        }
        let main = StreamName(object: object)
        let place = try place(of: main)
        let keyed = try sealing.ring.state(ofObject: object.storageName, in: transaction) != nil
        // An object deleted whole (an import's replace) has no branch for a tombstone, but its
        // old sealed events are still in the log: its key goes all the same.
        if !tombstone || (place.number == nil && keyed) {
            if place.number != nil, case .failure(let failure) = try deleteObject(object) { return .failure(failure) }
            try sealing.ring.erase(object: object.storageName, at: timeMilliseconds, in: transaction)
            return .success(ObjectErasure(object: object, erasedAtMilliseconds: timeMilliseconds, position: state.nextPosition - 1))
        }
        guard place.number != nil else { return .failure(.branchNotFound(main)) }
        var tombstone = try decidedRequest(for: main, [NewEvent(type: RecordDecoder.erasedType, data: ["erasedAt": .number(Double(timeMilliseconds))])])
        tombstone.isTombstone = true
        let written = try write(tombstone, at: place, definition: nil)
        if case .failure(let failure) = try deleteObject(object) { return .failure(failure) }
        try sealing.ring.erase(object: object.storageName, at: timeMilliseconds, in: transaction)
        return .success(ObjectErasure(object: object, erasedAtMilliseconds: timeMilliseconds, position: written.outcome.lastPosition))
    }

    /// When `object` was erased, if it was: asked before making a stream for it (an erased
    /// object's streams are gone, and it takes no new ones).
    func erasure(of object: ObjectKey) throws -> Int64? {
        guard let sealing, case .erased(let time)? = try sealing.ring.state(ofObject: object.storageName, in: transaction) else { return nil }
        return time
    }
}
