/// The keyed container of ``TreeEncoder``: members go into a shared ``PendingObject`` under
/// each key's `stringValue`; a key encoded twice keeps the last value.
struct KeyedTreeEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: PendingObject
    let encoder: TreeEncoder
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, for key: Key) { object.members[key.stringValue] = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), for: key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), for: key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(try TreeEncoder.number(value, at: codingPath + [key]), for: key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(try TreeEncoder.number(value, at: codingPath + [key]), for: key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { set(TreeEncoder.number(value), for: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try encoder.box(value, at: codingPath + [key]), for: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested: PendingObject
        if case .object(let existing) = object.members[key.stringValue] {
            nested = existing
        } else {
            nested = PendingObject()
            object.members[key.stringValue] = .object(nested)
        }
        return KeyedEncodingContainer(KeyedTreeEncodingContainer<NestedKey>(object: nested, encoder: encoder, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested: PendingArray
        if case .array(let existing) = object.members[key.stringValue] {
            nested = existing
        } else {
            nested = PendingArray()
            object.members[key.stringValue] = .array(nested)
        }
        return UnkeyedTreeEncodingContainer(array: nested, encoder: encoder, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(at: PositionKey.superKey) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(at: key) }

    private func superEncoder(at key: any CodingKey) -> any Encoder {
        let child = TreeEncoder(codingPath: codingPath + [key], userInfo: encoder.sendableUserInfo)
        object.members[key.stringValue] = .encoder(child)
        return child
    }
}

/// The unkeyed container of ``TreeEncoder``: elements are appended to a shared
/// ``PendingArray``; each one's coding path ends in its index.
struct UnkeyedTreeEncodingContainer: UnkeyedEncodingContainer {
    let array: PendingArray
    let encoder: TreeEncoder
    let codingPath: [any CodingKey]

    var count: Int { array.elements.count }

    private var nextPath: [any CodingKey] { codingPath + [PositionKey(intValue: count)] }
    private func append(_ value: JSONValue) { array.elements.append(.value(value)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try TreeEncoder.number(value, at: nextPath)) }
    mutating func encode(_ value: Float) throws { append(try TreeEncoder.number(value, at: nextPath)) }
    mutating func encode(_ value: Int) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int8) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int16) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int32) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int64) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt8) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt16) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt32) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt64) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: Int128) throws { append(TreeEncoder.number(value)) }
    mutating func encode(_ value: UInt128) throws { append(TreeEncoder.number(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { append(try encoder.box(value, at: nextPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = PendingObject()
        let path = nextPath
        array.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedTreeEncodingContainer<NestedKey>(object: nested, encoder: encoder, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = PendingArray()
        let path = nextPath
        array.elements.append(.array(nested))
        return UnkeyedTreeEncodingContainer(array: nested, encoder: encoder, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = TreeEncoder(codingPath: nextPath, userInfo: encoder.sendableUserInfo)
        array.elements.append(.encoder(child))
        return child
    }
}

/// ``TreeEncoder`` as its own single-value container: each method stores the one value.
extension TreeEncoder: SingleValueEncodingContainer {
    func encodeNil() throws { store(.null) }
    func encode(_ value: Bool) throws { store(.bool(value)) }
    func encode(_ value: String) throws { store(.string(value)) }
    func encode(_ value: Double) throws { store(try Self.number(value, at: codingPath)) }
    func encode(_ value: Float) throws { store(try Self.number(value, at: codingPath)) }
    func encode(_ value: Int) throws { store(Self.number(value)) }
    func encode(_ value: Int8) throws { store(Self.number(value)) }
    func encode(_ value: Int16) throws { store(Self.number(value)) }
    func encode(_ value: Int32) throws { store(Self.number(value)) }
    func encode(_ value: Int64) throws { store(Self.number(value)) }
    func encode(_ value: UInt) throws { store(Self.number(value)) }
    func encode(_ value: UInt8) throws { store(Self.number(value)) }
    func encode(_ value: UInt16) throws { store(Self.number(value)) }
    func encode(_ value: UInt32) throws { store(Self.number(value)) }
    func encode(_ value: UInt64) throws { store(Self.number(value)) }
    func encode(_ value: Int128) throws { store(Self.number(value)) }
    func encode(_ value: UInt128) throws { store(Self.number(value)) }
    func encode<T: Encodable>(_ value: T) throws { store(try box(value, at: codingPath)) }
}
