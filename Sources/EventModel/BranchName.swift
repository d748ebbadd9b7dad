/// The name of a line of history of one object: 1-64 characters of `[A-Za-z0-9._-]`.
/// Every object has ``main``.
public struct BranchName: Hashable, Sendable, CustomStringConvertible {
    /// The longest branch name, in bytes.
    public static let lengthMax = 64
    /// The branch every object starts with.
    public static let main = BranchName(unchecked: "main")
    /// The validated name.
    public let name: String

    private init(unchecked name: String) { self.name = name }

    /// Validates `name`.
    /// - Throws: ``NameError`` (field `branch`) when it is empty, too long or has other characters.
    public init(_ name: String) throws(NameError) {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= Self.lengthMax else {
            throw NameError(field: "branch", reason: "must be 1-\(Self.lengthMax) characters")
        }
        for byte in utf8 where !ObjectID.isAllowed(byte) || byte == UInt8(ascii: ":") {
            throw NameError(field: "branch", reason: "may contain only A-Z, a-z, 0-9, '.', '_' and '-'")
        }
        self.name = name
    }

    public var description: String { name }
}
