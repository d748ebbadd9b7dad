import Access
import Hummingbird
import HummingbirdAuth

/// Finds who a request comes from: with an access configuration, the principal of its bearer
/// credential (a JWT or an API key; a credential that does not verify is 401 whatever the
/// route); without one, ``Principal/local`` for every request. Which scope a route needs is
/// checked by the route itself (``RouteAccess``).
struct AccessMiddleware<Context: AuthRequestContext<Principal>>: AuthenticatorMiddleware {
    typealias Identity = Principal
    let verifier: TokenVerifier?

    func authenticate(request: Request, context: Context) async throws -> Principal? {
        guard let verifier else { return .local }
        guard let authorization = request.headers[.authorization] else { return nil }
        guard authorization.hasPrefix("Bearer ") else { throw Problem.unauthenticated(.missingToken) }
        do {
            return try await verifier.principal(for: String(authorization.dropFirst("Bearer ".count)))
        } catch {
            throw Problem.unauthenticated(error)
        }
    }
}

extension Problem {
    /// 401: the request's credential is missing or not taken, and why.
    static func unauthenticated(_ error: AccessError) -> Problem {
        let description = String(describing: error).replacingOccurrences(of: "\"", with: "'")
        return Problem(
            .unauthorized, type: .unauthenticated, detail: String(describing: error),
            headers: [.wwwAuthenticate: "Bearer realm=\"evlog\", error=\"\(error == .missingToken ? "invalid_request" : "invalid_token")\", error_description=\"\(description)\""])
    }
}
