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
    /// Seconds one write to a stream or WebSocket may take before its connection is closed:
    /// the peer stopped reading (its buffers go with the connection).
    public var stalledWriteSeconds: Int64 = 10
    /// Seconds a request head may take to arrive, from its first byte, before the connection
    /// is closed (a head trickled a byte at a time).
    public var requestHeadSeconds: Int64 = 10
    /// Seconds a request body may take to arrive, plus one per 64 KiB of it, before the
    /// connection is closed.
    public var requestBodySeconds: Int64 = 30
    /// Seconds a graceful shutdown (SIGTERM) may take before every task is cancelled and every
    /// connection closed.
    public var shutdownSeconds: Int64 = 10
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
    /// Each tenant's quotas (from the access configuration's `quotas`); nil: none.
    public var quotas: TenantQuotas?
    /// TLS for every connection (HTTP/1.1, and the WebSocket and Server-Sent Events over it);
    /// nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// The folder `POST /v1/admin/backup` writes backups into (each in a folder of its own);
    /// nil: the route refuses, saying how to set one.
    public var backupDirectory: String?
    /// Seconds between two passes of retention (``RetentionService``).
    public var retentionIntervalSeconds = 10

    /// Whether `host` (a listening address) is loopback: `localhost`, `::1`, or an IPv4 address
    /// in 127.0.0.0/8 (a name starting with `127.` is not).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in UInt8(part) != nil && part.allSatisfy(\.isNumber) }
    }

    /// Whether a request's authority (`Host`: a host and maybe a port) names a loopback host.
    public static func isLoopback(authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return isLoopback(host.lowercased())
    }

    /// A TLS configuration serving `certificateChain` with `privateKey` (PEM files): TLS 1.2 at
    /// least.
    /// - Throws: NIOSSL's error when a file cannot be read or is not PEM.
    public static func tls(certificateChain: String, privateKey: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateChain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// The defaults: 127.0.0.1:8080, 60 s idle timeout, 15 s heartbeat, no schemas, no access
    /// configuration, no TLS.
    public init() {}
}
