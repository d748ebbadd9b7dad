import Access
import EventModel
import Hummingbird
import HummingbirdAuth
import NIOCore

/// The context of every HTTP request: Hummingbird's, and who the request comes from
/// (``AccessMiddleware`` sets it; a route's scope is checked against it).
public struct ServerRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who sent the request: nil until a credential verified (or when none was sent).
    public var identity: Principal?
    /// The connection: a stream whose reader stopped reading closes it.
    public let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        channel = source.channel
    }
}

/// A request context that knows whose objects the request may reach.
public protocol TenantRequestContext: RequestContext {
    /// The tenant the request acts for: every object, consumer, job and log event it names or
    /// reads is that tenant's.
    var tenant: Tenant { get }
    /// When a stream the request opens must end (its token's expiry).
    var credentialExpiry: CredentialExpiry { get }
    /// The connection, closed (not answered) when the peer stops reading a stream.
    var channel: any Channel { get }
}

extension ServerRequestContext: TenantRequestContext {
    /// The identity's tenant; ``Tenant/default`` before one is set (only for the routes open to
    /// anyone, which reach no tenant's data).
    public var tenant: Tenant { identity?.tenant ?? .default }
    /// The identity's token's expiry.
    public var credentialExpiry: CredentialExpiry { CredentialExpiry(identity) }
}
