/// Why a request's credentials were not taken, or an access configuration not loaded. Each says
/// what to change; none says whether anything the request named exists.
public enum AccessError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `Authorization: Bearer` header (or not that scheme).
    case missingToken
    /// Not a JWT (three base64url parts) nor an API key (`evk_...`).
    case malformedToken(String)
    /// The token's `alg` is refused: `none`, one the server does not take, or not the named key's.
    case algorithmRefused(String)
    /// The token names a key (`kid`) the server does not have, or none when it has several.
    case unknownKey(String)
    /// The signature does not verify with the key.
    case badSignature
    /// `exp` has passed (or is missing: it is required).
    case expired(String)
    /// `nbf` is still ahead.
    case notYetValid(String)
    /// `iss` or `aud` is not the configured one.
    case wrongIssuer(String)
    /// `aud` does not name the configured audience.
    case wrongAudience(String)
    /// A claim the server needs is missing or not what it should be (`tenant`, `scope`).
    case invalidClaim(String, reason: String)
    /// The API key is not one of the configured ones.
    case unknownAPIKey
    /// The access configuration file cannot be used: what is wrong, and where.
    case configuration(String)

    public var description: String {
        switch self {
        case .missingToken: "send a token: Authorization: Bearer <JWT or API key>"
        case .malformedToken(let reason): "the token is neither a JWT nor an API key: \(reason)"
        case .algorithmRefused(let reason): "the token's algorithm is refused: \(reason)"
        case .unknownKey(let reason): "the token's key is not one this server has: \(reason)"
        case .badSignature: "the token's signature does not verify"
        case .expired(let reason): "the token has expired: \(reason)"
        case .notYetValid(let reason): "the token is not valid yet: \(reason)"
        case .wrongIssuer(let reason): "the token's issuer is not the configured one: \(reason)"
        case .wrongAudience(let reason): "the token is not for this server: \(reason)"
        case .invalidClaim(let claim, let reason): "the token's \(claim) claim: \(reason)"
        case .unknownAPIKey: "the API key is not one this server has"
        case .configuration(let reason): "the access configuration: \(reason)"
        }
    }
}
