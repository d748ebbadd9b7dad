/// A collection whose iteration order is not part of its value: `Set`, and `Dictionary` when
/// its keys are not strings (or `Int`, or `CodingKeyRepresentable`) and it encodes as an array
/// of alternating keys and values.
///
/// Their order follows the hash seed, which differs between processes, and the insertion
/// history, which can differ between equal values. ``TreeEncoder/box(_:at:)`` sorts what they
/// encode so that equal values always give equal trees, and so equal bytes from
/// ``JSONValue/jsonText``. Decoding does not care about the order, so round trips still hold.
///
/// The encoder sorts the values it is handed: the top-level value and whatever goes through its
/// containers. A type that calls `encode(to:)` on its own set keeps that set's hash order.
protocol UnorderedEncodable {
    /// How many consecutive elements of the encoded array belong together: 1 for a set's
    /// elements, 2 for a dictionary's key-value pairs.
    static var encodedGroupSize: Int { get }
}

extension Set: UnorderedEncodable {
    static var encodedGroupSize: Int { 1 }
}

extension Dictionary: UnorderedEncodable {
    static var encodedGroupSize: Int { 2 }
}

extension UnorderedEncodable {
    /// `tree` with its groups sorted by their JSON text, compared byte by byte; objects (the
    /// dictionaries that encode as one) have no order to fix and come back unchanged.
    static func canonicalOrder(_ tree: JSONValue) -> JSONValue {
        let groupSize = encodedGroupSize
        guard case .array(let elements) = tree, elements.count > groupSize, elements.count % groupSize == 0 else {
            return tree
        }
        let groups = stride(from: 0, to: elements.count, by: groupSize).map { start in
            let group = Array(elements[start..<start + groupSize])
            return (text: Array(JSONValue.array(group).jsonText.utf8), group: group)
        }
        let sorted = groups.sorted { $0.text.lexicographicallyPrecedes($1.text) }
        return .array(sorted.flatMap(\.group))
    }
}
