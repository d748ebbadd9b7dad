import Access
import Hummingbird
import HummingbirdAuth

/// Finds who a request comes from: with an access configuration, the principal of its bearer
/// credential (a JWT or an API key; a credential that does not verify is 401 whatever the
/// route); without one, ``Principal/local`` for every request addressed to loopback (when the
/// server listens there: a page on another site that points its own name at 127.0.0.1, DNS
/// rebinding, gets 421). Which scope a route needs is checked by the route itself
/// (``RouteAccess``).
struct AccessMiddleware<Context: AuthRequestContext<Principal>>: AuthenticatorMiddleware {
    typealias Identity = Principal
    let verifier: TokenVerifier?
    /// Without a verifier: whether requests must be addressed to a loopback host.
    let loopbackOnly: Bool

    init(configuration: ServerConfiguration) {
        verifier = configuration.access
        loopbackOnly = configuration.access == nil && ServerConfiguration.isLoopback(configuration.host)
    }

    func authenticate(request: Request, context: Context) async throws -> Principal? {
        guard let verifier else {
            if loopbackOnly, let authority = request.head.authority, !ServerConfiguration.isLoopback(authority: authority) {
                throw Problem.hostNotServed(authority)
            }
            return .local
        }
        guard let authorization = request.headers[.authorization] else { return nil }
        guard let credential = BearerCredential.parse(authorization) else { throw Problem.unauthenticated(.missingToken) }
        do {
            return try await verifier.principal(for: credential)
        } catch {
            throw Problem.unauthenticated(error)
        }
    }
}

extension Problem {
    /// 421: a server without an access configuration, on loopback, asked for another host.
    static func hostNotServed(_ authority: String) -> Problem {
        Problem(
            .misdirectedRequest, type: .hostNotServed,
            detail: "this server has no access configuration, so it answers requests addressed to loopback only (localhost, 127.0.0.1, [::1]), not to \(authority)")
    }

    /// 401: the request's credential is missing or not taken, and why.
    static func unauthenticated(_ error: AccessError) -> Problem {
        let description = String(describing: error).replacingOccurrences(of: "\"", with: "'")
        return Problem(
            .unauthorized, type: .unauthenticated, detail: String(describing: error),
            headers: [.wwwAuthenticate: "Bearer realm=\"evlog\", error=\"\(error == .missingToken ? "invalid_request" : "invalid_token")\", error_description=\"\(description)\""])
    }
}
