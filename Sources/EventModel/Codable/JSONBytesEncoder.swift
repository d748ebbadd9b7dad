/// Turns an `Encodable` value straight into compact JSON bytes, without building a
/// ``JSONValue`` tree first: what the writer uses for the events deciders decide and the rows
/// keyed views store, where a tree per value would cost an allocation per member.
///
/// What it guarantees:
/// - The bytes parse as the JSON ``JSONValueEncoder`` would make of the value (same numbers,
///   same omitted `nil` members, same enums), so decoding them gives the value back.
/// - Members come in the order the value encodes them (declaration order for synthesized
///   `Codable`); a `String`-keyed dictionary comes in its hash order, which differs between
///   processes. Where equal values must give equal bytes (stored view states, checksums), use
///   ``JSONValueEncoder`` and ``JSONWriter/value(_:)``, which sort.
/// - A ``JSONValue`` inside the value is written sorted, as ``JSONWriter/value(_:)`` writes it.
/// - A ``JSONBytesEncodable`` value writes itself.
/// - A value whose `encode(to:)` uses the `Encoder` protocol in ways a stream cannot follow (a
///   super-encoder, writing to a container after a later sibling was opened) is encoded through
///   ``JSONValueEncoder`` instead: never wrong, only slower.
///
/// Numbers: whole numbers below 2^63 are written without a fraction; NaN and the infinities are
/// refused with ``JSONValueEncodingError/Code/nonFiniteNumber``.
public struct JSONBytesEncoder: Sendable {
    /// An encoder.
    public init() {}

    /// The compact JSON text of `value`.
    /// - Throws: ``JSONValueEncodingError`` for a number JSON cannot hold, or when the value's
    ///   `encode(to:)` throws.
    public func encode<T: Encodable>(_ value: T) throws(JSONValueEncodingError) -> [UInt8] {
        var writer = JSONWriter(capacity: 128)
        try encode(value, into: &writer)
        return writer.bytes
    }

    /// Appends the compact JSON text of `value` to `writer`.
    /// - Throws: as ``encode(_:)``; `writer` is then left as it was.
    public func encode<T: Encodable>(_ value: T, into writer: inout JSONWriter) throws(JSONValueEncodingError) {
        if let fast = value as? any JSONBytesEncodable { return fast.writeJSON(into: &writer) }
        let start = writer.bytes.count
        let stream = StreamEncoder(writer: writer)
        writer = JSONWriter()
        defer { writer = stream.writer }
        do {
            try stream.encodeValue(value, key: nil)
        } catch let error as JSONValueEncodingError {
            stream.writer.bytes.removeSubrange(start...)
            throw error
        } catch {
            stream.writer.bytes.removeSubrange(start...)
            throw .refused(by: error, at: [])
        }
        guard stream.isFollowable else {
            stream.writer.bytes.removeSubrange(start...)
            stream.writer.value(try JSONValueEncoder().encode(value))
            return
        }
    }
}

/// The `Encoder` behind ``JSONBytesEncoder``: one per top-level value. Containers are frames on
/// a stack; a write to a container closes the frames opened after it (its nested containers,
/// which are done by then in any `encode(to:)` that writes in order).
final class StreamEncoder: Encoder {
    /// The text, behind a pointer: written on every member, it would otherwise pay Swift's
    /// dynamic exclusivity check each time.
    private let output: UnsafeMutablePointer<JSONWriter>
    var writer: JSONWriter {
        get { output.pointee }
        _modify { yield &output.pointee }
    }
    /// False once the value used the protocol in a way a stream cannot follow.
    private(set) var isFollowable = true
    private var frames: [Frame] = []
    private var nextFrameID = 0
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private struct Frame {
        let id: Int
        let isObject: Bool
        var count: Int
    }

    init(writer: JSONWriter) {
        output = .allocate(capacity: 1)
        output.initialize(to: writer)
    }

    deinit {
        output.deinitialize(count: 1)
        output.deallocate()
    }

    /// Writes `value` (found under `key`, if any) where the stream stands, then closes whatever
    /// containers it opened. The coding path is a stack kept by the encoder, so encoding a
    /// member allocates no path.
    func encodeValue<T: Encodable>(_ value: T, key: (any CodingKey)?) throws {
        if let key { codingPath.append(key) }
        defer { if key != nil { codingPath.removeLast() } }
        // Metatype checks, not dynamic casts: the common leaves cost a comparison.
        if T.self == String.self { return writer.string(unsafeBitCast(value, to: String.self)) }
        if T.self == Double.self { return try writeNumber(unsafeBitCast(value, to: Double.self), at: codingPath) }
        if T.self == Int.self { return writer.integer(unsafeBitCast(value, to: Int.self)) }
        if T.self == Int64.self { return writer.integer(unsafeBitCast(value, to: Int64.self)) }
        if T.self == Bool.self { return unsafeBitCast(value, to: Bool.self) ? writer.ascii("true") : writer.ascii("false") }
        if T.self == JSONValue.self { return writer.value(unsafeBitCast(value, to: JSONValue.self)) }
        if let fast = value as? any JSONBytesEncodable { return fast.writeJSON(into: &writer) }
        let depth = frames.count
        let before = writer.bytes.count
        try value.encode(to: self)
        close(downTo: depth)
        if writer.bytes.count == before { writer.ascii("{}") }
    }

    func writeNumber(_ number: Double, at path: @autoclosure () -> [any CodingKey]) throws {
        guard number.isFinite else { throw JSONValueEncodingError.nonFinite(number, at: path()) }
        writer.number(number)
    }

    /// An integer of any width: exact below 2^64 in magnitude, else rounded as a `Double`.
    func writeInteger<I: BinaryInteger>(_ value: I, at path: @autoclosure () -> [any CodingKey]) throws {
        if let small = Int64(exactly: value) {
            writer.integer(small)
        } else if let large = UInt64(exactly: value) {
            writer.integer(large)
        } else {
            try writeNumber(Double(value), at: path())
        }
    }

    private func close(downTo depth: Int) {
        while frames.count > depth {
            writer.byte(frames.removeLast().isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Opens a container: `{` or `[`, and its frame; returns the frame's id.
    func open(object: Bool) -> Int {
        nextFrameID += 1
        frames.append(Frame(id: nextFrameID, isObject: object, count: 0))
        writer.byte(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return nextFrameID
    }

    /// Makes `frame` the top of the stack (closing the containers nested in it) and writes the
    /// separator before its next member or element; false when `frame` is closed already.
    func prepareWrite(in frame: Int) -> Bool {
        if let last = frames.indices.last, frames[last].id == frame {
            if frames[last].count > 0 { writer.byte(UInt8(ascii: ",")) }
            frames[last].count += 1
            return true
        }
        guard let index = frames.lastIndex(where: { $0.id == frame }) else {
            isFollowable = false
            return false
        }
        close(downTo: index + 1)
        if frames[index].count > 0 { writer.byte(UInt8(ascii: ",")) }
        frames[index].count += 1
        return true
    }

    /// The number of members or elements written in `frame` so far.
    func count(of frame: Int) -> Int { frames.last(where: { $0.id == frame })?.count ?? 0 }

    func markUnfollowable() { isFollowable = false }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(StreamKeyedContainer<Key>(encoder: self, frame: open(object: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        StreamUnkeyedContainer(encoder: self, frame: open(object: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { StreamSingleValueContainer(encoder: self) }
}

/// A keyed container of ``StreamEncoder``: `"key":value` pairs in one frame.
struct StreamKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamEncoder
    let frame: Int
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func key(_ key: Key) -> Bool {
        guard encoder.prepareWrite(in: frame) else { return false }
        encoder.writer.string(key.stringValue)
        encoder.writer.byte(UInt8(ascii: ":"))
        return true
    }

    mutating func encodeNil(forKey key: Key) throws { if self.key(key) { encoder.writer.ascii("null") } }
    mutating func encode(_ value: Bool, forKey key: Key) throws { if self.key(key) { value ? encoder.writer.ascii("true") : encoder.writer.ascii("false") } }
    mutating func encode(_ value: String, forKey key: Key) throws { if self.key(key) { encoder.writer.string(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { if self.key(key) { try encoder.writeNumber(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: Float, forKey key: Key) throws { if self.key(key) { try encoder.writeNumber(Double(value), at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: Int, forKey key: Key) throws { if self.key(key) { encoder.writer.integer(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { if self.key(key) { encoder.writer.integer(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: Int128, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { if self.key(key) { try encoder.writeInteger(value, at: encoder.codingPath + [key]) } }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if self.key(key) { try encoder.encodeValue(value, key: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        _ = self.key(key)
        return KeyedEncodingContainer(StreamKeyedContainer<NestedKey>(encoder: encoder, frame: encoder.open(object: true)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        _ = self.key(key)
        return StreamUnkeyedContainer(encoder: encoder, frame: encoder.open(object: false))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.markUnfollowable()
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.markUnfollowable()
        return encoder
    }
}

/// An unkeyed container of ``StreamEncoder``: elements of one array frame.
struct StreamUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: StreamEncoder
    let frame: Int
    var codingPath: [any CodingKey] { encoder.codingPath }

    var count: Int { encoder.count(of: frame) }

    private var nextPath: [any CodingKey] { encoder.codingPath + [PositionKey(intValue: count)] }

    mutating func encodeNil() throws { if encoder.prepareWrite(in: frame) { encoder.writer.ascii("null") } }
    mutating func encode(_ value: Bool) throws { if encoder.prepareWrite(in: frame) { value ? encoder.writer.ascii("true") : encoder.writer.ascii("false") } }
    mutating func encode(_ value: String) throws { if encoder.prepareWrite(in: frame) { encoder.writer.string(value) } }
    mutating func encode(_ value: Double) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeNumber(value, at: nextPath) }
    }
    mutating func encode(_ value: Int) throws { if encoder.prepareWrite(in: frame) { encoder.writer.integer(value) } }
    mutating func encode(_ value: Float) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeNumber(Double(value), at: nextPath) }
    }
    mutating func encode(_ value: Int8) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: Int16) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: Int32) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt8) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt16) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt32) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt64) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: Int128) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: UInt128) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode(_ value: Int64) throws {
        if encoder.prepareWrite(in: frame) { try encoder.writeInteger(value, at: nextPath) }
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        if encoder.prepareWrite(in: frame) { try encoder.encodeValue(value, key: PositionKey(intValue: index)) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        _ = encoder.prepareWrite(in: frame)
        return KeyedEncodingContainer(StreamKeyedContainer<NestedKey>(encoder: encoder, frame: encoder.open(object: true)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        _ = encoder.prepareWrite(in: frame)
        return StreamUnkeyedContainer(encoder: encoder, frame: encoder.open(object: false))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.markUnfollowable()
        return encoder
    }
}

/// The single-value container of ``StreamEncoder``: writes the one value in place. A second
/// value makes the stream unfollowable (the value then goes through ``JSONValueEncoder``,
/// which traps on it as `JSONEncoder` does).
struct StreamSingleValueContainer: SingleValueEncodingContainer {
    let encoder: StreamEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var isWritten = false

    init(encoder: StreamEncoder) { self.encoder = encoder }

    private mutating func begin() -> Bool {
        if isWritten { encoder.markUnfollowable() }
        isWritten = true
        return encoder.isFollowable
    }

    mutating func encodeNil() throws { if begin() { encoder.writer.ascii("null") } }
    mutating func encode(_ value: Bool) throws { if begin() { value ? encoder.writer.ascii("true") : encoder.writer.ascii("false") } }
    mutating func encode(_ value: String) throws { if begin() { encoder.writer.string(value) } }
    mutating func encode(_ value: Double) throws { if begin() { try encoder.writeNumber(value, at: codingPath) } }
    mutating func encode(_ value: Float) throws { if begin() { try encoder.writeNumber(Double(value), at: codingPath) } }
    mutating func encode(_ value: Int) throws { if begin() { encoder.writer.integer(value) } }
    mutating func encode(_ value: Int64) throws { if begin() { encoder.writer.integer(value) } }
    mutating func encode(_ value: UInt64) throws { if begin() { encoder.writer.integer(value) } }
    mutating func encode(_ value: Int8) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: Int16) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: Int32) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: UInt) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: UInt8) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: UInt16) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: UInt32) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: Int128) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode(_ value: UInt128) throws { if begin() { try encoder.writeInteger(value, at: codingPath) } }
    mutating func encode<T: Encodable>(_ value: T) throws { if begin() { try encoder.encodeValue(value, key: nil) } }
}

/// A value that writes its own JSON, the same JSON its `Encodable` conformance makes: what
/// ``JSONBytesEncoder`` uses instead of `encode(to:)` when it meets one, for the few payloads
/// and rows encoded by the hundred thousand a second (a building's readings and buckets), where
/// a keyed container per value costs more than the rest of the write.
public protocol JSONBytesEncodable: Encodable {
    /// Appends the value's compact JSON to `writer`.
    func writeJSON(into writer: inout JSONWriter)
}
