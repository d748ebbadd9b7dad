import EventModel
import Foundation

/// Who a request comes from, once its token verified: the tenant whose objects it may reach
/// and what it may do there.
public struct Principal: Sendable, Equatable {
    /// The tenant: the only one whose objects, consumers, jobs and log events it can reach.
    public let tenant: Tenant
    /// What it may do.
    public let scopes: Set<Scope>
    /// The token's subject (`sub`), or the API key's name: for logs, never for decisions.
    public let subject: String
    /// When its token expires (nil: an API key, or no access control): a connection it opened
    /// (a WebSocket, an event stream) is closed then.
    public let expires: Date?

    /// A principal of the tenant named `tenant`, whose credential expires at `expires`.
    /// - Throws: ``AccessError/invalidClaim(_:reason:)`` for a name that is not a tenant's
    ///   (``Tenant/isValid(_:)``).
    public init(tenant: String, scopes: Set<Scope>, subject: String, expires: Date? = nil) throws(AccessError) {
        do { self.tenant = try Tenant(tenant) } catch { throw .invalidClaim("tenant", reason: error.reason) }
        self.scopes = scopes
        self.subject = subject
        self.expires = expires
    }

    /// How long until its credential expires (nil: never); zero once it has.
    public var remaining: Duration? {
        expires.map { .milliseconds(max(0, Int64($0.timeIntervalSinceNow * 1000))) }
    }

    /// A server without an access configuration serves one tenant, ``Tenant/default``, to
    /// anyone who can reach it (which is why it listens on loopback only).
    public static let local = try! Principal(tenant: Tenant.default.name, scopes: Set(Scope.allCases), subject: "local")
}
