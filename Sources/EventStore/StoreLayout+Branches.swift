import EventModel
import LMDB

/// One branch of an object as stored.
struct StoredBranch {
    let name: String
    let number: UInt64
    let parent: UInt64
    let forkSeq: Seq
    let createdMilliseconds: Int64
}

extension StoreLayout {
    /// Every branch of `object`, in name order, read from `stream-names` (keys `type/id` 0 branch).
    func branches(of object: ObjectKey, in transaction: some ReadableTransaction) throws -> [StoredBranch] {
        var prefix = object.storageName
        prefix.append(0)
        var found: [(String, UInt64)] = []
        try transaction.withCursor(streamNames) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.starts(with: prefix), current.value.count == 8 {
                found.append((String(decoding: current.key[prefix.count...], as: UTF8.self), UInt64(littleEndian: current.value.loadUnaligned(as: UInt64.self))))
                entry = try cursor.next()
            }
        }
        return try found.map { name, number in
            guard let record = try StoreKeys.withKey(number, { try transaction.get(streams, key: $0) }), record.count >= StreamRecord.headerBytes else {
                throw EventStoreError.corruptRecord(position: 0, reason: "stream \(number) has no record")
            }
            let header = StreamRecord.header(record)
            return StoredBranch(name: name, number: number, parent: header.parent, forkSeq: header.forkSeq, createdMilliseconds: header.createdMilliseconds)
        }
    }
}
