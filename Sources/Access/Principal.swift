/// Who a request comes from, once its token verified: the tenant whose objects it may reach
/// and what it may do there.
public struct Principal: Sendable, Equatable {
    /// The tenant: lowercase letters, digits and `-`, 1 to 63 of them.
    public let tenant: String
    /// What it may do.
    public let scopes: Set<Scope>
    /// The token's subject (`sub`), or the API key's name: for logs, never for decisions.
    public let subject: String

    /// A principal; `tenant` is checked by ``Principal/validTenant(_:)``.
    /// - Throws: ``AccessError/invalidClaim(_:reason:)`` for a tenant name that is not one.
    public init(tenant: String, scopes: Set<Scope>, subject: String) throws(AccessError) {
        guard Self.validTenant(tenant) else {
            throw .invalidClaim("tenant", reason: "\(tenant.debugDescription) is not a tenant name: 1 to 63 lowercase letters, digits and -")
        }
        self.tenant = tenant
        self.scopes = scopes
        self.subject = subject
    }

    /// Whether `name` is a tenant name: 1 to 63 of `a-z`, `0-9`, `-`.
    public static func validTenant(_ name: String) -> Bool {
        (1...63).contains(name.utf8.count) && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// A server without an access configuration serves one tenant, `default`, to anyone who can
    /// reach it (which is why it listens on loopback only).
    public static let local = try! Principal(tenant: "default", scopes: Set(Scope.allCases), subject: "local")
}
