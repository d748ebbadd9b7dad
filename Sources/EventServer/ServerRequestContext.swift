import Access
import Hummingbird
import HummingbirdAuth

/// The context of every HTTP request: Hummingbird's, and who the request comes from
/// (``AccessMiddleware`` sets it; a route's scope is checked against it).
public struct ServerRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who sent the request: nil until a credential verified (or when none was sent).
    public var identity: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
    }
}
