/// A value an encoder is still building. Containers are references, so a nested container or a
/// super-encoder handed out earlier keeps writing into its parent until the enclosing value's
/// `encode(to:)` returns and the tree is resolved.
enum PendingValue {
    case value(JSONValue)
    case object(PendingObject)
    case array(PendingArray)
    /// A `superEncoder()`: its value is whatever it holds once encoding is done.
    case encoder(TreeEncoder)

    /// The finished tree.
    var resolved: JSONValue {
        switch self {
        case .value(let value): value
        case .object(let object): .object(object.members.mapValues(\.resolved))
        case .array(let array): .array(array.elements.map(\.resolved))
        case .encoder(let encoder): encoder.resolved
        }
    }
}

/// The members of an object being encoded, shared by its keyed containers.
final class PendingObject {
    var members: [String: PendingValue] = [:]
}

/// The elements of an array being encoded, shared by its unkeyed containers.
final class PendingArray {
    var elements: [PendingValue] = []
}

/// The `Encoder` behind ``JSONValueEncoder``: one per value being encoded, holding the container
/// that value asked for. It is its own single-value container, as JSONEncoder's is.
///
/// Asking one encoder for two different kinds of container, or encoding twice through its
/// single-value container, is a programming error in the value's `encode(to:)` and traps.
final class TreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    let sendableUserInfo: [CodingUserInfoKey: any Sendable]
    private(set) var storage: PendingValue?

    var userInfo: [CodingUserInfoKey: Any] { sendableUserInfo }

    init(codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: any Sendable]) {
        self.codingPath = codingPath
        sendableUserInfo = userInfo
    }

    /// What this encoder holds; `{}` if the value encoded nothing at all.
    var resolved: JSONValue { storage?.resolved ?? .object([:]) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: PendingObject
        switch storage {
        case nil:
            object = PendingObject()
            storage = .object(object)
        case .object(let existing):
            object = existing
        default:
            preconditionFailure("\(Key.self) container requested at \(jsonPointer(codingPath)) after encoding a value that is not an object")
        }
        return KeyedEncodingContainer(KeyedTreeEncodingContainer<Key>(object: object, encoder: self, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: PendingArray
        switch storage {
        case nil:
            array = PendingArray()
            storage = .array(array)
        case .array(let existing):
            array = existing
        default:
            preconditionFailure("unkeyed container requested at \(jsonPointer(codingPath)) after encoding a value that is not an array")
        }
        return UnkeyedTreeEncodingContainer(array: array, encoder: self, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    /// Stores the single value; traps if something is already stored.
    func store(_ value: JSONValue) {
        if case .some = storage {
            preconditionFailure("a second value encoded at \(jsonPointer(codingPath)) through a single-value container")
        }
        storage = .value(value)
    }

    /// Encodes `value`, which sits at `codingPath`, into a finished tree.
    ///
    /// Strings, Booleans and the common numbers skip the round trip through a child encoder.
    /// Sets and dictionaries come out in a canonical order (``UnorderedEncodable``), so equal
    /// values give equal trees whatever their hash order.
    func box<T: Encodable>(_ value: T, at codingPath: [any CodingKey]) throws(JSONValueEncodingError) -> JSONValue {
        switch value {
        case let string as String: return .string(string)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(Double(number))
        case let number as Double: return try Self.number(number, at: codingPath)
        default: break
        }
        let child = TreeEncoder(codingPath: codingPath, userInfo: sendableUserInfo)
        do {
            try value.encode(to: child)
        } catch let error as JSONValueEncodingError {
            throw error
        } catch {
            throw .refused(by: error, at: codingPath)
        }
        let tree = child.resolved
        if let unordered = T.self as? any UnorderedEncodable.Type {
            return unordered.canonicalOrder(tree)
        }
        return tree
    }

    /// A floating-point number as JSON; NaN and the infinities have no JSON form.
    static func number(_ number: some BinaryFloatingPoint, at codingPath: [any CodingKey]) throws(JSONValueEncodingError) -> JSONValue {
        guard number.isFinite else { throw .nonFinite(number, at: codingPath) }
        return .number(Double(number))
    }

    /// An integer as JSON. Magnitudes past 2^53 round to the nearest `Double`.
    static func number(_ number: some BinaryInteger) -> JSONValue {
        .number(Double(number))
    }
}
