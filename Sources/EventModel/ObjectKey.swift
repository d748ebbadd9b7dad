/// Why a name (object type, object id or branch) was refused.
public struct NameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which part of the name is wrong: `"type"`, `"id"` or `"branch"`.
    public let field: String
    /// What is wrong with it, in words a user can act on.
    public let reason: String

    public var description: String { "invalid \(field): \(reason)" }
}

/// The type of an object, e.g. `inventory`: 1-64 characters of `[a-z0-9_-]`, starting with a
/// letter. Its events are described by `Schemas/<type>.schema.json`.
public struct ObjectType: Hashable, Sendable, CustomStringConvertible {
    /// The longest type name, in bytes.
    public static let lengthMax = 64
    /// The validated name.
    public let name: String

    /// Validates `name`.
    /// - Throws: ``NameError`` (field `type`) when it is empty, too long or has other characters.
    public init(_ name: String) throws(NameError) {
        let utf8 = name.utf8
        guard !utf8.isEmpty else { throw NameError(field: "type", reason: "must not be empty") }
        guard utf8.count <= Self.lengthMax else {
            throw NameError(field: "type", reason: "must be at most \(Self.lengthMax) characters, got \(utf8.count)")
        }
        guard let first = utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else {
            throw NameError(field: "type", reason: "must start with a lowercase letter")
        }
        for byte in utf8 where !(Self.isAllowed(byte)) {
            throw NameError(field: "type", reason: "may contain only a-z, 0-9, '_' and '-'")
        }
        self.name = name
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    public var description: String { name }
}

/// The id of an object within its type, e.g. `sku-42`: 1-200 characters of `[A-Za-z0-9._:-]`.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible {
    /// The longest id, in bytes (LMDB keys are at most 511 bytes, and ids are part of keys).
    public static let lengthMax = 200
    /// The validated id.
    public let value: String

    /// Validates `value` (already percent-decoded).
    /// - Throws: ``NameError`` (field `id`) when it is empty, `.` or `..`, too long or has
    ///   other characters.
    public init(_ value: String) throws(NameError) {
        let utf8 = value.utf8
        guard !utf8.isEmpty else { throw NameError(field: "id", reason: "must not be empty") }
        // A URL's path resolves them away: such an object could never be reached over HTTP.
        guard value != ".", value != ".." else { throw NameError(field: "id", reason: "must not be . or .. (URLs resolve them away)") }
        guard utf8.count <= Self.lengthMax else {
            throw NameError(field: "id", reason: "must be at most \(Self.lengthMax) characters, got \(utf8.count)")
        }
        for byte in utf8 where !Self.isAllowed(byte) {
            throw NameError(field: "id", reason: "may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'")
        }
        self.value = value
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
    }

    public var description: String { value }
}

/// An object: `type/id` of a tenant, e.g. `inventory/sku-42`. Two tenants' objects of the same
/// type and id are two objects.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    /// The tenant the object belongs to.
    public let tenant: Tenant
    /// The object's type.
    public let type: ObjectType
    /// The object's id within its type.
    public let id: ObjectID

    /// An object from a validated type and id, of `tenant`.
    public init(type: ObjectType, id: ObjectID, tenant: Tenant = .default) {
        self.tenant = tenant
        self.type = type
        self.id = id
    }

    /// Parses `type/id`, an object of `tenant`.
    /// - Throws: ``NameError`` naming the part that is wrong.
    public init(parsing text: String, tenant: Tenant = .default) throws(NameError) {
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) else {
            throw NameError(field: "object", reason: "must be TYPE/ID, e.g. inventory/sku-42")
        }
        self.tenant = tenant
        type = try ObjectType(String(text[..<slash]))
        id = try ObjectID(String(text[text.index(after: slash)...]))
    }

    /// Parses a ``storageName``.
    /// - Throws: ``NameError`` naming the part that is wrong.
    public init(storageName bytes: UnsafeRawBufferPointer) throws(NameError) {
        let parts = Tenant.split(bytes)
        let tenant = parts.tenant.isEmpty ? Tenant.default : try Tenant(String(decoding: parts.tenant, as: UTF8.self))
        try self.init(parsing: String(decoding: parts.rest, as: UTF8.self), tenant: tenant)
    }

    /// The name the engine stores the object under: `type/id` for the ``Tenant/default``
    /// tenant, `tenant|type/id` for any other.
    public var storageName: [UInt8] {
        guard !tenant.isDefault else { return Array(description.utf8) }
        var name = tenant.storagePrefix
        name.append(contentsOf: description.utf8)
        return name
    }

    /// `type/id`: the name its tenant knows it by (never the tenant).
    public var description: String { "\(type.name)/\(id.value)" }
}
