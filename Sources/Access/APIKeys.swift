import Crypto
import Foundation

/// Static API keys: `evk_` and 43 base64url characters (32 random bytes), kept by the server
/// only as their SHA-256, so a leaked configuration file does not leak a key.
public enum APIKeys {
    /// What every API key starts with (and a JWT never does).
    public static let prefix = "evk_"

    /// A new random key.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The SHA-256 of `key`, lowercase hex: what the configuration keeps.
    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
