import EventModel
import LMDB
import Sealing
import Synchronization

/// Where an object's data key stands.
enum ObjectKeyState: Sendable, Equatable {
    /// Its 32-byte data key, unwrapped.
    case key([UInt8])
    /// Erased at this time (ms since the epoch): the key is destroyed.
    case erased(Int64)
}

/// The per-object data keys that seal objects' events and checkpoints at rest, kept in the
/// `keys` database wrapped (AES-256-GCM) by the store's master key, and unwrapped ones cached
/// in memory (at most ``cachedMax``; a random half is dropped when full). A key made by the
/// writer is cached only once its transaction commits (``remember(_:)``); an object erased
/// since the store opened is never cached again (a reader whose transaction began before the
/// erasure could otherwise put its key back).
///
/// `keys` maps an object's storage name (`[tenant|]type/id`) to `1` + nonce (12) + the sealed
/// key (32 + tag 16), its name bound as additional data so a key cannot be moved to another
/// object; or, once the object is erased, to `2` + the erasure time (8, LE).
final class ObjectKeyRing: Sendable {
    static let cachedMax = 100_000
    private static let keyKind: UInt8 = 1
    private static let erasedKind: UInt8 = 2
    private static let checkName = Array("master-key-check".utf8)
    private static let checkText = Array("evlog: this store's master key".utf8)

    let master: [UInt8]
    private let database: Database
    private static let epochName = Array("seal-epoch".utf8)
    /// This store's sealing epoch (nonzero; read from `meta` on open, ``checkMaster``): part of
    /// every event's nonce, drawn anew whenever the store is restored from a backup, so an event
    /// id sent again after a restore rolled the ids back never seals under a nonce used before.
    let epoch = Atomic<UInt32>(0)
    private let cache = Mutex<(keys: [[UInt8]: [UInt8]], erased: Set<[UInt8]>)>(([:], []))

    /// A ring over the `keys` database, wrapping with `master` (32 bytes).
    init(master: [UInt8], database: Database) {
        self.master = master
        self.database = database
    }

    /// Checks that `master` is the key this store was sealed with (a value sealed with it is
    /// kept in `meta`), and records it when the store has none yet.
    /// - Throws: ``EventStoreError/dataFolderUnusable(path:reason:)`` for another key.
    static func checkMaster(_ master: [UInt8], layout: StoreLayout, transaction: WriteTransaction, directory: String) throws {
        guard master.count == AESGCM.keyBytes else {
            throw EventStoreError.dataFolderUnusable(path: directory, reason: "the master key must be 32 bytes, it is \(master.count)")
        }
        let epoch = try epochName.withUnsafeBytes { try transaction.get(layout.meta, key: $0) }
        if let epoch, epoch.count == 4 {
            layout.keyRing?.epoch.store(UInt32(littleEndian: epoch.loadUnaligned(as: UInt32.self)), ordering: .relaxed)
        } else {
            try renewEpoch(layout: layout, transaction: transaction)
        }
        let stored = try checkName.withUnsafeBytes { try transaction.get(layout.meta, key: $0).map(Array.init) }
        if let stored {
            guard (try? open(stored, with: master, name: checkName)) == checkText else {
                throw EventStoreError.dataFolderUnusable(
                    path: directory, reason: "its objects were sealed with another master key: start it with the master key it was made with")
            }
            return
        }
        let sealed = try seal(checkText, with: master, name: checkName)
        try checkName.withUnsafeBytes { key in try sealed.withUnsafeBytes { try transaction.put(layout.meta, key: key, value: $0) } }
    }

    /// Draws a new sealing epoch and stores it in `meta` (a restored store's first open does).
    static func renewEpoch(layout: StoreLayout, transaction: WriteTransaction) throws {
        var epoch: UInt32 = 0
        while epoch == 0 { withUnsafeMutableBytes(of: &epoch) { AESGCM.random($0) } }
        try epochName.withUnsafeBytes { key in try withUnsafeBytes(of: epoch.littleEndian) { try transaction.put(layout.meta, key: key, value: $0) } }
        layout.keyRing?.epoch.store(epoch, ordering: .relaxed)
    }

    /// Marks the store in `directory` (just restored, not open) to draw a new epoch when next
    /// opened.
    static func forgetEpoch(layout: StoreLayout, transaction: WriteTransaction) throws {
        _ = try epochName.withUnsafeBytes { try transaction.delete(layout.meta, key: $0) }
    }

    /// Whether `meta` says objects were sealed (a master key was used with this store).
    static func isSealed(layout: StoreLayout, transaction: some ReadableTransaction) throws -> Bool {
        try checkName.withUnsafeBytes { try transaction.get(layout.meta, key: $0) } != nil
    }

    /// Whether the key of the object stored as `name` is cached (read from a committed
    /// transaction, or made by one): the object is not erased, and nothing need be read.
    func hasCachedKey(ofObject name: [UInt8]) -> Bool {
        cache.withLock { $0.keys[name] != nil }
    }

    /// The key state of the object stored as `name`; nil when it has none (never sealed).
    func state(ofObject name: some Collection<UInt8>, in transaction: some ReadableTransaction) throws -> ObjectKeyState? {
        let name = Array(name)
        if let key = cache.withLock({ $0.keys[name] }) { return .key(key) }
        guard let value = try name.withUnsafeBytes({ try transaction.get(database, key: $0) }).map(Array.init) else { return nil }
        let state = try Self.decode(value, master: master, name: name)
        // Only what a committed transaction holds is cached: a write transaction may read a key
        // it made itself, which is gone if it aborts.
        if case .key(let key) = state, !(transaction is WriteTransaction) { remember([name: key]) }
        return state
    }

    /// The data key of the object stored as `name` as the `keys` database holds it (wrapped by
    /// the master key, bound to `name`), for an archive; nil when it has none or was erased.
    func wrappedKey(ofObject name: [UInt8], in transaction: some ReadableTransaction) throws -> [UInt8]? {
        guard let value = try name.withUnsafeBytes({ try transaction.get(database, key: $0) }), value.first == Self.keyKind else { return nil }
        return Array(value.dropFirst())
    }

    /// The data key of the object stored as `name`, made (and stored in `transaction`) when it
    /// has none: a key made is added to `made`, for ``remember(_:)`` once the transaction
    /// commits (and looked up there first, for later events of the same transaction).
    /// - Throws: ``EventStoreError/objectErased(_:at:)`` for an erased object.
    func key(forObject name: [UInt8], object: ObjectKey, made: inout [[UInt8]: [UInt8]], in transaction: WriteTransaction) throws -> [UInt8] {
        if let key = made[name] { return key }
        switch try state(ofObject: name, in: transaction) {
        case .key(let key): return key
        case .erased(let time): throw EventStoreError.objectErased(object, at: time)
        case nil:
            let key = AESGCM.randomKey()
            let value = [Self.keyKind] + (try Self.seal(key, with: master, name: name))
            try name.withUnsafeBytes { name in try value.withUnsafeBytes { try transaction.put(database, key: name, value: $0) } }
            made[name] = key
            return key
        }
    }

    /// Destroys the key of the object stored as `name` in `transaction`, leaving the time of
    /// its erasure in its place.
    func erase(object name: [UInt8], at time: Int64, in transaction: WriteTransaction) throws {
        var value = [Self.erasedKind]
        withUnsafeBytes(of: time.littleEndian) { value += $0 }
        try name.withUnsafeBytes { name in try value.withUnsafeBytes { try transaction.put(database, key: name, value: $0) } }
        cache.withLock { cache in
            cache.keys.removeValue(forKey: name)
            cache.erased.insert(name)
        }
    }

    /// Caches keys whose transaction committed (or that were read from a committed one).
    func remember(_ keys: [[UInt8]: [UInt8]]) {
        guard !keys.isEmpty else { return }
        cache.withLock { cache in
            if cache.keys.count + keys.count > Self.cachedMax {
                for old in cache.keys.keys.shuffled().prefix(Self.cachedMax / 2) { cache.keys.removeValue(forKey: old) }
            }
            for (name, key) in keys where !cache.erased.contains(name) { cache.keys[name] = key }
        }
    }

    private static func decode(_ value: [UInt8], master: [UInt8], name: [UInt8]) throws -> ObjectKeyState {
        switch value.first {
        case keyKind?:
            do { return .key(try open(Array(value.dropFirst()), with: master, name: name)) } catch {
                throw EventStoreError.storageFailure(LMDBError(code: -1))
            }
        case erasedKind? where value.count == 9:
            return .erased(Int64(littleEndian: value.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 1, as: Int64.self) }))
        default:
            throw EventStoreError.storageFailure(LMDBError(code: -1))
        }
    }

    /// `nonce` (12 random bytes) + `plaintext` sealed with `key`, `name` bound to it.
    static func seal(_ plaintext: [UInt8], with key: [UInt8], name: [UInt8]) throws -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: AESGCM.nonceBytes)
        nonce.withUnsafeMutableBytes { AESGCM.random($0) }
        return nonce + (try AESGCM.sealed(plaintext, key: key, nonce: nonce, additionalData: name))
    }

    /// Opens what ``seal(_:with:name:)`` made.
    static func open(_ sealed: [UInt8], with key: [UInt8], name: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= AESGCM.nonceBytes + AESGCM.tagBytes else { throw SealingError.badLength("a sealed value") }
        return try AESGCM.opened(Array(sealed[AESGCM.nonceBytes...]), key: key, nonce: Array(sealed[..<AESGCM.nonceBytes]), additionalData: name)
    }
}
