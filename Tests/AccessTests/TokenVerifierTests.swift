import Crypto
import Foundation
import Testing

@testable import Access

/// Tokens as the server takes or refuses them: every refusal with its reason, none of them
/// reached by a token that should pass.
@Suite("Access: JWTs and API keys to a tenant and scopes, and every way a credential is refused")
struct TokenVerifierTests {
    static let secret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYtaHM="
    /// The secret's bytes (what HMAC signs with).
    static let key = Data(base64Encoded: secret)!
    let directory: String
    let configuration: AccessConfiguration
    let apiKey = APIKeys.generate()
    let ecdsa = P256.Signing.PrivateKey()

    init() throws {
        directory = NSTemporaryDirectory() + "access-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try ecdsa.pemRepresentation.write(toFile: directory + "/idp.pem", atomically: true, encoding: .utf8)
        try ecdsa.publicKey.pemRepresentation.write(toFile: directory + "/idp.pub.pem", atomically: true, encoding: .utf8)
        let file = """
            {"issuer": "https://login.example", "audience": "evlog",
             "keys": [{"kid": "main", "alg": "HS256", "secret": "\(Self.secret)"},
                      {"kid": "idp", "alg": "ES256", "publicKeyFile": "idp.pub.pem", "privateKeyFile": "idp.pem"}],
             "apiKeys": [{"name": "ci", "sha256": "\(APIKeys.hash(apiKey))", "tenant": "acme", "scopes": ["read", "append"]}]}
            """
        try file.write(toFile: directory + "/auth.json", atomically: true, encoding: .utf8)
        configuration = try AccessConfiguration.load(path: directory + "/auth.json")
    }

    private func claims(tenant: String = "acme", scopes: Set<Scope> = [.read, .command], expires: TimeInterval = 600, issuer: String? = "https://login.example", audience: String? = "evlog")
        -> TokenClaims
    {
        TokenClaims(tenant: tenant, scopes: scopes, expires: Date(timeIntervalSinceNow: expires), subject: "ann", issuer: issuer, audience: audience)
    }

    private static func base64url(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A token made by hand: `header` and `payload` as given, signed with HMAC-SHA256 over `key`
    /// (or not signed at all).
    private static func handmade(header: String, payload: String, hmacKey: Data?) -> String {
        let input = base64url(Data(header.utf8)) + "." + base64url(Data(payload.utf8))
        guard let hmacKey else { return input + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: hmacKey))
        return input + "." + base64url(Data(mac))
    }

    private func refusal(_ token: String) async -> AccessError? {
        do {
            _ = try await TokenVerifier(configuration: configuration).principal(for: token)
            return nil
        } catch {
            return error
        }
    }

    @Test("a token signed with either key, and a known API key, are the principal they say")
    func taken() async throws {
        let verifier = try await TokenVerifier(configuration: configuration)
        for kid in ["main", "idp"] {
            let token = try await TokenMinter.token(claims(), kid: kid, configuration: configuration)
            let principal = try await verifier.principal(for: token)
            #expect(principal.tenant.name == "acme" && principal.scopes == [.read, .command] && principal.subject == "ann", "\(kid)")
            let remaining = try #require(principal.remaining, "a token's principal expires with it")
            #expect(remaining > .seconds(500) && remaining <= .seconds(600))
        }
        #expect(try await verifier.principal(for: apiKey) == (try Principal(tenant: "acme", scopes: [.read, .append], subject: "ci")))
    }

    @Test("each refusal says why: expired, no exp, not yet valid, issuer, audience, tenant, scope")
    func claimsRefused() async throws {
        let mint = { (claims: TokenClaims) in try await TokenMinter.token(claims, kid: "main", configuration: self.configuration) }
        #expect(await refusal(try await mint(claims(expires: -5))).map { if case .expired = $0 { true } else { false } } == true)
        #expect(await refusal(try await mint(claims(issuer: "https://other"))).map { if case .wrongIssuer = $0 { true } else { false } } == true)
        #expect(await refusal(try await mint(claims(issuer: nil))).map { if case .wrongIssuer = $0 { true } else { false } } == true)
        #expect(await refusal(try await mint(claims(audience: "someone-else"))).map { if case .wrongAudience = $0 { true } else { false } } == true)
        #expect(await refusal(try await mint(claims(tenant: "Acme Corp"))).map { if case .invalidClaim("tenant", _) = $0 { true } else { false } } == true)
        let future = Int(Date().timeIntervalSince1970) + 600
        let header = #"{"alg":"HS256","typ":"JWT","kid":"main"}"#
        let base = #""tenant":"acme","scope":"read","iss":"https://login.example","aud":"evlog""#
        let noExp = await refusal(Self.handmade(header: header, payload: "{\(base)}", hmacKey: Self.key))
        #expect(noExp == .expired("the token has no exp, and one is required"), "\(String(describing: noExp))")
        let early = Self.handmade(header: header, payload: #"{\#(base),"exp":\#(future),"nbf":\#(future - 60)}"#, hmacKey: Self.key)
        #expect(await refusal(early).map { if case .notYetValid = $0 { true } else { false } } == true)
        let badScope = Self.handmade(header: header, payload: #"{"tenant":"acme","scope":"read root","iss":"https://login.example","aud":"evlog","exp":\#(future)}"#, hmacKey: Self.key)
        #expect(await refusal(badScope).map { if case .invalidClaim("scope", _) = $0 { true } else { false } } == true)
        let fine = Self.handmade(header: header, payload: #"{\#(base),"exp":\#(future)}"#, hmacKey: Self.key)
        #expect(await refusal(fine) == nil, "the handmade token itself is good")
    }

    @Test("alg none, algorithm confusion, an unknown key, a bad signature, garbage and an unknown API key are refused")
    func forgeriesRefused() async throws {
        let future = Int(Date().timeIntervalSince1970) + 600
        let payload = #"{"tenant":"acme","scope":"read admin","iss":"https://login.example","aud":"evlog","exp":\#(future)}"#
        #expect(await refusal(Self.handmade(header: #"{"alg":"none","kid":"main"}"#, payload: payload, hmacKey: nil)).map { if case .algorithmRefused = $0 { true } else { false } } == true)
        #expect(await refusal(Self.handmade(header: #"{"alg":"NONE"}"#, payload: payload, hmacKey: nil)).map { if case .algorithmRefused = $0 { true } else { false } } == true)
        // The ES256 key's public PEM used as an HMAC secret: the classic confusion.
        let confused = Self.handmade(header: #"{"alg":"HS256","kid":"idp"}"#, payload: payload, hmacKey: Data(ecdsa.publicKey.pemRepresentation.utf8))
        #expect(await refusal(confused) == .algorithmRefused("the token's alg is not the one of the key it names"))
        #expect(await refusal(Self.handmade(header: #"{"alg":"HS256","kid":"nope"}"#, payload: payload, hmacKey: Self.key)).map { if case .unknownKey = $0 { true } else { false } } == true)
        #expect(await refusal(Self.handmade(header: #"{"alg":"HS256"}"#, payload: payload, hmacKey: Self.key)).map { if case .unknownKey = $0 { true } else { false } } == true, "two keys: kid required")
        #expect(await refusal(Self.handmade(header: #"{"alg":"HS256","kid":"main"}"#, payload: payload, hmacKey: Self.key + Data("x".utf8))) == .badSignature)
        let good = try await TokenMinter.token(claims(), kid: "idp", configuration: configuration)
        let tampered = String(good.dropLast(4)) + (good.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        #expect(await refusal(tampered) == .badSignature)
        #expect(await refusal("not a token").map { if case .malformedToken = $0 { true } else { false } } == true)
        #expect(await refusal("a.b.c").map { if case .malformedToken = $0 { true } else { false } } == true)
        #expect(await refusal(APIKeys.generate()) == .unknownAPIKey)
    }

    @Test("a configuration that cannot be used says what is wrong")
    func configurationRefused() async throws {
        func loadError(_ json: String) async -> String? {
            let path = directory + "/bad-\(UUID().uuidString).json"
            try? json.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try await TokenVerifier(configuration: try AccessConfiguration.load(path: path))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(await loadError(#"{"keys": [{"kid": "a", "alg": "HS256", "secret": "short"}]}"#)?.contains("32 random bytes") == true)
        #expect(await loadError(#"{"keys": [{"kid": "a", "alg": "HS256", "secret": "a passphrase long enough to pass a length check"}]}"#)?.contains("base64") == true)
        #expect(await loadError(#"{"keys": [{"kid": "a", "alg": "HS512", "secret": "\#(Self.secret)"}]}"#)?.contains("HS256, ES256, RS256") == true)
        #expect(await loadError(#"{"keys": [{"kid": "a", "alg": "ES256", "publicKeyFile": "missing.pem"}]}"#)?.contains("missing.pem") == true)
        #expect(await loadError(#"{"keys": [{"alg": "HS256"}]}"#)?.contains("kid is missing") == true)
        #expect(await loadError(#"{}"#)?.contains("nothing could ever be let in") == true)
        #expect(await loadError(#"{"apiKeys": [{"name": "x", "sha256": "abc", "tenant": "t", "scopes": []}]}"#)?.contains("64 hex digits") == true)
        #expect(await loadError(#"{"apiKeys": [{"name": "x", "sha256": "abc", "tenant": "t", "scopes": ["root"]}]}"#) != nil)
    }
}
