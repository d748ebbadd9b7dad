import EventModel
import Foundation
import JWTKit

/// Turns a request's bearer credential into a ``Principal``: a JWT signed with one of the
/// configured keys (its `alg` must be that key's: `none` and algorithm confusion are refused
/// before any signature is looked at; `exp` required; `nbf`, `iss`, `aud` checked), or a static
/// API key (compared by its SHA-256).
public final class TokenVerifier: Sendable {
    private let keys: JWTKeyCollection
    /// `kid` → the only `alg` a token signed with it may say.
    private let algorithms: [String: String]
    private let issuer: String?
    private let audience: String?
    private let apiKeys: [String: AccessConfiguration.APIKey]

    /// The algorithms a key may have.
    public static let algorithms = ["HS256", "ES256", "RS256"]

    /// A verifier for `configuration`'s keys, JWKS and API keys.
    /// - Throws: ``AccessError/configuration(_:)`` naming the key that cannot be used.
    public init(configuration: AccessConfiguration) async throws(AccessError) {
        let keys = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        do {
            for key in configuration.keys {
                let what = "the key \(key.kid)"
                guard algorithms[key.kid] == nil else { throw AccessError.configuration("two keys are named \(key.kid)") }
                let kid = JWKIdentifier(string: key.kid)
                switch key.alg {
                case "HS256":
                    await keys.add(hmac: HMACKey(from: try Self.secret(of: key)), digestAlgorithm: .sha256, kid: kid)
                case "ES256":
                    await keys.add(ecdsa: try ES256PublicKey(pem: try configuration.read(try Self.publicKeyFile(key), for: what)), kid: kid)
                case "RS256":
                    await keys.add(rsa: try Insecure.RSA.PublicKey(pem: try configuration.read(try Self.publicKeyFile(key), for: what)), digestAlgorithm: .sha256, kid: kid)
                default:
                    throw AccessError.configuration("\(what) has the algorithm \(key.alg); the algorithms are \(Self.algorithms.joined(separator: ", "))")
                }
                algorithms[key.kid] = key.alg
            }
            if let file = configuration.jwks {
                let text = try configuration.read(file, for: "the JWKS")
                let set = try JSONDecoder().decode(JWKS.self, from: Data(text.utf8))
                for jwk in set.keys {
                    guard let kid = jwk.keyIdentifier?.string, let alg = jwk.algorithm?.rawValue, Self.algorithms.contains(alg) else {
                        throw AccessError.configuration("every key of the JWKS \(file) needs a kid and an alg (\(Self.algorithms.joined(separator: ", ")))")
                    }
                    guard algorithms[kid] == nil else { throw AccessError.configuration("two keys are named \(kid)") }
                    algorithms[kid] = alg
                }
                try await keys.add(jwks: set)
            }
        } catch let error as AccessError {
            throw error
        } catch {
            throw .configuration("a key cannot be used: \(error)")
        }
        self.keys = keys
        self.algorithms = algorithms
        issuer = configuration.issuer
        audience = configuration.audience
        var apiKeys: [String: AccessConfiguration.APIKey] = [:]
        for key in configuration.apiKeys {
            guard key.sha256.count == 64, key.sha256.allSatisfy(\.isHexDigit) else {
                throw .configuration("the API key \(key.name): sha256 is 64 hex digits (evtool token api-key makes one)")
            }
            guard Tenant.isValid(key.tenant) else { throw .configuration("the API key \(key.name): \(key.tenant) is not a tenant name") }
            apiKeys[key.sha256.lowercased()] = key
        }
        self.apiKeys = apiKeys
    }

    /// An HS256 key's secret: base64 that decodes to 32 bytes at least (a passphrase, or the
    /// README's placeholder, is refused).
    static func secret(of key: AccessConfiguration.Key) throws(AccessError) -> Data {
        guard let text = key.secret, let secret = Data(base64Encoded: text), secret.count >= 32 else {
            throw .configuration("the key \(key.kid) (HS256) needs a secret: base64 of 32 random bytes at least, e.g. from `openssl rand -base64 48`")
        }
        return secret
    }

    private static func publicKeyFile(_ key: AccessConfiguration.Key) throws(AccessError) -> String {
        guard let file = key.publicKeyFile else { throw .configuration("the key \(key.kid) (\(key.alg)) needs a publicKeyFile") }
        return file
    }

    /// The principal `credential` (the part after `Bearer `) stands for.
    /// - Throws: an ``AccessError`` saying why it is not taken.
    public func principal(for credential: String) async throws(AccessError) -> Principal {
        if credential.hasPrefix(APIKeys.prefix) {
            guard let key = apiKeys[APIKeys.hash(credential)] else { throw .unknownAPIKey }
            return try Principal(tenant: key.tenant, scopes: Set(key.scopes), subject: key.name)
        }
        let header = try Self.header(of: credential)
        guard let alg = header.alg, Self.algorithms.contains(alg) else {
            throw .algorithmRefused("\(header.alg.map { "\"\($0)\"" } ?? "no alg"): this server takes \(Self.algorithms.joined(separator: ", ")) with its own keys")
        }
        let kid: String
        if let named = header.kid {
            kid = named
        } else if algorithms.count == 1, let only = algorithms.keys.first {
            kid = only
        } else {
            throw .unknownKey("the token names no key (kid), and this server has more than one")
        }
        guard let expected = algorithms[kid] else { throw .unknownKey("the token names a key (kid) this server does not have") }
        guard expected == alg else { throw .algorithmRefused("the token's alg is not the one of the key it names") }
        // jwt-kit picks the key by the header's kid, or its first key (the only one) without.
        let claims: TokenClaims
        do {
            claims = try await keys.verify(credential, as: TokenClaims.self)
        } catch let error as JWTError {
            switch error.errorType {
            case .signatureVerificationFailed: throw .badSignature
            case .claimVerificationFailure where error.failedClaim is NotBeforeClaim: throw .notYetValid("nbf is \(Self.date((error.failedClaim as? NotBeforeClaim)?.value))")
            case .claimVerificationFailure: throw .expired("exp was \(Self.date((error.failedClaim as? ExpirationClaim)?.value))")
            default: throw Self.missingClaim(in: credential) ?? .malformedToken(error.reason ?? "\(error.errorType)")
            }
        } catch {
            throw .malformedToken("\(error)")
        }
        if let issuer, claims.iss?.value != issuer { throw .wrongIssuer("iss is \(claims.iss?.value.debugDescription ?? "missing"), not \(issuer.debugDescription)") }
        if let audience, claims.aud?.value.contains(audience) != true {
            throw .wrongAudience("aud is \(claims.aud.map { $0.value.description } ?? "missing"), and does not name \(audience.debugDescription)")
        }
        return try Principal(tenant: claims.tenant, scopes: try Scope.parse(claims.scope), subject: claims.sub?.value ?? kid, expires: claims.exp.value)
    }

    /// The claim a token's payload lacks, if one of those required is missing (jwt-kit says
    /// only that the payload does not decode).
    private static func missingClaim(in token: String) -> AccessError? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64url(parts[1]), let payload = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if payload["exp"] == nil { return .expired("the token has no exp, and one is required") }
        for claim in ["tenant", "scope"] where !(payload[claim] is String) { return .invalidClaim(claim, reason: "missing, or not a string") }
        return nil
    }

    private static func base64url(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// A JWT's header fields this verifier looks at.
    private struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    private static func header(of token: String) throws(AccessError) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformedToken("a JWT has three parts separated by dots; this has \(parts.count)") }
        guard let data = base64url(parts[0]), let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw .malformedToken("its header is not base64url JSON")
        }
        return header
    }

    private static func date(_ date: Date?) -> String { date.map { ISO8601DateFormatter().string(from: $0) } ?? "missing" }
}
