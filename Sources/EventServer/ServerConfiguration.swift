import Access
import NIOSSL

/// How the HTTP server listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// The address to listen on (default loopback only).
    public var host = "127.0.0.1"
    /// The port to listen on; 0 picks a free one.
    public var port = 8080
    /// Seconds a connection may stay silent before it is closed (while no request runs on it).
    public var idleTimeoutSeconds: Int64 = 60
    /// Seconds between heartbeat comments on an idle Server-Sent Events stream.
    public var heartbeatSeconds: Int64 = 15
    /// The largest page a read may ask for.
    public var pageLimitMax = 1_000
    /// The page size when a read does not ask.
    public var pageLimitDefault = 100
    /// The most bytes of event data a page (or one Server-Sent Events write) carries; a page
    /// that reaches it ends early and says where to go on.
    public var pageBytesMax = 4 << 20
    /// The declared object types and their event schemas. The default declares none and accepts
    /// every type unvalidated; `evtool serve` loads `./Schemas` and refuses undeclared types.
    public var schemas = SchemaCatalog(allowsUndeclared: true)
    /// Who may do what: the verifier of bearer credentials (JWTs, API keys). Nil serves every
    /// request as ``Principal/local`` (all scopes), which is why `evtool serve` then listens
    /// on loopback only.
    public var access: TokenVerifier?
    /// TLS for every connection (HTTP/1.1, and the WebSocket and Server-Sent Events over it);
    /// nil: plain HTTP.
    public var tls: TLSConfiguration?

    /// The defaults: 127.0.0.1:8080, 60 s idle timeout, 15 s heartbeat, no schemas, no access
    /// configuration, no TLS.
    public init() {}
}
