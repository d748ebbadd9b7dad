/// Whose objects these are: one customer of a store many share. Every object belongs to exactly
/// one tenant, and nothing of one tenant (objects, branches, views, consumers, jobs, the log's
/// events) is reachable as another. A store nobody shares is all tenant ``default``.
///
/// A name is 1 to 63 of `a-z`, `0-9` and `-`: none of them is `|`, which separates the tenant
/// from the rest of an object's name in storage (``ObjectKey/storageName``).
public struct Tenant: Hashable, Sendable, CustomStringConvertible {
    /// The longest name, in bytes.
    public static let lengthMax = 63
    /// The separator between a tenant and an object's type in storage names: a byte no tenant,
    /// type or id holds.
    public static let separator = UInt8(ascii: "|")
    /// The tenant of a server without access control, and of every object made before tenants
    /// existed: its objects' storage names carry no tenant at all.
    public static let `default` = Tenant(unchecked: defaultName)

    /// The validated name.
    public let name: String
    /// Whether this is ``default`` (kept, not compared each time: the fold asks it per event).
    public let isDefault: Bool

    /// Validates `name`.
    /// - Throws: ``NameError`` (field `tenant`) for a name that is not 1 to 63 of `a-z`, `0-9`, `-`.
    public init(_ name: String) throws(NameError) {
        guard Self.isValid(name) else {
            throw NameError(field: "tenant", reason: "must be 1 to \(Self.lengthMax) of a-z, 0-9 and -, got \(name.debugDescription)")
        }
        self.name = name
        isDefault = name == Self.defaultName
    }

    private init(unchecked name: String) {
        self.name = name
        isDefault = name == Self.defaultName
    }

    private static let defaultName = "default"

    /// Whether `name` is a tenant name.
    public static func isValid(_ name: String) -> Bool {
        (1...lengthMax).contains(name.utf8.count)
            && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
    }

    /// What a storage name of this tenant starts with: nothing for ``default``, else the name
    /// and ``separator``.
    public var storagePrefix: [UInt8] { isDefault ? [] : Array(name.utf8) + [Self.separator] }

    /// Splits a storage name (`tenant|rest` or, for ``default``, `rest`) into the tenant's bytes
    /// (empty for ``default``) and the rest. Types and ids never hold the separator, so the first
    /// one is the tenant's end.
    public static func split(_ name: UnsafeRawBufferPointer) -> (tenant: UnsafeRawBufferPointer, rest: UnsafeRawBufferPointer) {
        guard let bar = name.firstIndex(of: separator) else { return (UnsafeRawBufferPointer(start: name.baseAddress, count: 0), name) }
        return (UnsafeRawBufferPointer(rebasing: name[..<bar]), UnsafeRawBufferPointer(rebasing: name[(bar + 1)...]))
    }

    /// Whether `bytes` (from ``split(_:)``) name this tenant.
    public func owns(_ bytes: UnsafeRawBufferPointer) -> Bool {
        isDefault ? bytes.isEmpty : bytes.elementsEqual(name.utf8)
    }

    public var description: String { name }
}
