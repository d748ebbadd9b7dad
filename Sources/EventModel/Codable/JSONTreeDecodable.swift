/// A value that reads itself from a JSON tree, member by member, exactly as its `Decodable`
/// conformance would (nil wherever that throws): for event payloads folded by the million,
/// where a keyed decoding container per event costs more than the fold. A reducer's
/// `event.decode(T.self)` takes this path when `T` conforms.
public protocol JSONTreeDecodable: Decodable {
    /// The value `tree` holds, or nil when `Decodable` would refuse it.
    init?(tree: JSONValue)
}

extension JSONValue {
    /// The member `key` of an object as `Decodable` reads a required `Int`: nil when missing,
    /// null, not a number or not a whole number in range.
    public func requiredInteger(_ key: String) -> Int? { self[key]?.integerValue }

    /// The member `key` as a required `String`: nil when missing or not a string.
    public func requiredString(_ key: String) -> String? { self[key]?.stringValue }

    /// The member `key` as an optional `String`: `.some(nil)` when missing or null, nil (the
    /// whole value refused) when it is there and not a string.
    public func optionalString(_ key: String) -> String?? {
        switch self[key] {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }
}

extension RecordedEvent {
    /// The data as `T`, read from its tree without a decoder (the decider's own payload when it
    /// is a `T`); nil when it does not decode, as ``decode(_:)-(T.Type)`` would.
    public func decode<T: JSONTreeDecodable>(_ type: T.Type) -> T? {
        if case .decided(let payload?, _) = body, let typed = payload as? T { return typed }
        guard case .object = body.tree else { return nil }
        return T(tree: body.tree)
    }
}
