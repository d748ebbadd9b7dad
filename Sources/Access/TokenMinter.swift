import Foundation
import JWTKit

/// Signs tokens with a configured key: what `evtool token create` does for operators (the
/// server itself only verifies).
public enum TokenMinter {
    /// `claims` signed with the key `kid` of `configuration` (HS256 with its secret; ES256 and
    /// RS256 with its `privateKeyFile`), the key named in the token's header.
    /// - Throws: ``AccessError/configuration(_:)`` when there is no such key or it cannot sign.
    public static func token(_ claims: TokenClaims, kid: String?, configuration: AccessConfiguration) async throws(AccessError) -> String {
        guard let key = kid.map({ kid in configuration.keys.first { $0.kid == kid } }) ?? (configuration.keys.count == 1 ? configuration.keys.first : nil)
        else {
            throw .configuration(
                kid.map { "there is no key \($0); there are \(configuration.keys.map(\.kid).joined(separator: ", "))" }
                    ?? "name the key to sign with (--kid): there are \(configuration.keys.map(\.kid).joined(separator: ", "))")
        }
        let keys = JWTKeyCollection()
        let identifier = JWKIdentifier(string: key.kid)
        do {
            switch key.alg {
            case "HS256":
                await keys.add(hmac: HMACKey(from: try TokenVerifier.secret(of: key)), digestAlgorithm: .sha256, kid: identifier)
            case "ES256", "RS256":
                guard let file = key.privateKeyFile else {
                    throw AccessError.configuration("the key \(key.kid) has no privateKeyFile: a token signed with it is made where its private key is")
                }
                let pem = try configuration.read(file, for: "the key \(key.kid)")
                if key.alg == "ES256" {
                    await keys.add(ecdsa: try ES256PrivateKey(pem: pem), kid: identifier)
                } else {
                    await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: pem), digestAlgorithm: .sha256, kid: identifier)
                }
            default:
                throw AccessError.configuration("the key \(key.kid) has the algorithm \(key.alg)")
            }
            return try await keys.sign(claims, kid: identifier)
        } catch let error as AccessError {
            throw error
        } catch {
            throw .configuration("the key \(key.kid) cannot sign: \(error)")
        }
    }
}
