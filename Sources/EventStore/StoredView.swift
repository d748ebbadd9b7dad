import EventModel
import LMDB

/// A cross-object view's state as stored in the `views` database (under stream number 0):
/// key stream (8, BE) + view name; value view
/// version (4, LE) + seq (8, LE) + the state as compact JSON with sorted keys.
struct StoredView {
    let version: Int
    let seq: Seq
    let state: JSONValue

    static func withKey<R>(stream: UInt64, name: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        key.append(contentsOf: name.utf8)
        return try key.withUnsafeBytes(body)
    }

    /// The stored value's parts, borrowed: version, seq and the state's JSON bytes.
    static func parts(_ value: UnsafeRawBufferPointer) -> (version: Int, seq: Seq, json: UnsafeRawBufferPointer)? {
        guard value.count > 12 else { return nil }
        return (
            Int(UInt32(littleEndian: value.loadUnaligned(as: UInt32.self))),
            UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
            UnsafeRawBufferPointer(rebasing: value[12...])
        )
    }

    /// The version and seq stored, without reading the state.
    static func header(stream: UInt64, name: String, layout: StoreLayout, transaction: some ReadableTransaction) throws -> (version: Int, seq: Seq)? {
        try withKey(stream: stream, name: name) { key in
            guard let value = try transaction.get(layout.views, key: key), let parts = parts(value) else { return nil }
            return (parts.version, parts.seq)
        }
    }

    static func read(stream: UInt64, name: String, layout: StoreLayout, transaction: some ReadableTransaction) throws -> StoredView? {
        try withKey(stream: stream, name: name) { key in
            guard let value = try transaction.get(layout.views, key: key), let parts = parts(value) else { return nil }
            guard let state = try? JSONValue(parsing: parts.json) else { return nil }
            return StoredView(version: parts.version, seq: parts.seq, state: state)
        }
    }

    static func write(
        stream: UInt64, name: String, version: Int, seq: Seq, state: JSONValue, layout: StoreLayout, transaction: WriteTransaction
    ) throws {
        var writer = JSONWriter(capacity: 256)
        withUnsafeBytes(of: UInt32(version).littleEndian) { writer.raw($0) }
        withUnsafeBytes(of: seq.littleEndian) { writer.raw($0) }
        writer.value(state)
        try withKey(stream: stream, name: name) { key in
            try writer.bytes.withUnsafeBytes { try transaction.put(layout.views, key: key, value: $0) }
        }
    }
}
