import EventModel
import Foundation

/// The server's access configuration, read from a JSON file (`evtool serve --auth FILE`):
///
/// ```json
/// {
///   "issuer": "https://login.example.com/", "audience": "evlog",
///   "keys": [
///     {"kid": "main", "alg": "HS256", "secret": "at least 32 bytes of secret"},
///     {"kid": "idp", "alg": "ES256", "publicKeyFile": "idp.pub.pem", "privateKeyFile": "idp.pem"},
///     {"kid": "corp", "alg": "RS256", "publicKeyFile": "corp.pub.pem"}
///   ],
///   "jwks": "jwks.json",
///   "apiKeys": [{"name": "ci", "sha256": "<hex of the key's SHA-256>", "tenant": "acme", "scopes": ["read", "append"]}],
///   "quotas": {"*": {"eventsPerSecond": 1000, "objects": 100000, "bytes": 10000000000, "consumers": 20}, "acme": {"eventsPerSecond": 5000}}
/// }
/// ```
///
/// Paths are relative to the file. `issuer` and `audience` are checked when set. A private key
/// (or an HS256 secret) is what `evtool token create` signs with; the server only verifies.
public struct AccessConfiguration: Sendable, Decodable {
    /// One key tokens may be signed with.
    public struct Key: Sendable, Decodable {
        /// The key's id: a token names it in its header (`kid`); optional with a single key.
        public var kid: String
        /// `HS256`, `ES256` or `RS256`: the only algorithm a token signed with this key may say.
        public var alg: String
        /// HS256's shared secret: base64 of 32 random bytes at least (`openssl rand -base64 48`).
        public var secret: String?
        /// ES256/RS256: the PEM file of the public key.
        public var publicKeyFile: String?
        /// ES256/RS256: the PEM file of the private key (to mint tokens with `evtool token create`).
        public var privateKeyFile: String?
    }

    /// One static API key, kept only as the SHA-256 of the key.
    public struct APIKey: Sendable, Decodable {
        /// What the key is for (logs name it).
        public var name: String
        /// The SHA-256 of the key, lowercase hex (``APIKeys/hash(_:)``).
        public var sha256: String
        /// The tenant its requests act for.
        public var tenant: String
        /// What it may do.
        public var scopes: [Scope]
    }

    /// What one tenant may use; a limit left out is no limit.
    public struct Quota: Sendable, Decodable, Equatable {
        /// Events appended per second (appends count their events, a command counts one),
        /// over any second: a bucket of this many refilled continuously.
        public var eventsPerSecond: Double?
        /// Objects the tenant may have.
        public var objects: UInt64?
        /// Bytes of events the tenant may append in all (as stored: compressed, with headers).
        public var bytes: UInt64?
        /// Consumers the tenant may have.
        public var consumers: Int?

        /// A quota.
        public init(eventsPerSecond: Double? = nil, objects: UInt64? = nil, bytes: UInt64? = nil, consumers: Int? = nil) {
            self.eventsPerSecond = eventsPerSecond
            self.objects = objects
            self.bytes = bytes
            self.consumers = consumers
        }
    }

    /// The quotas by tenant name; `*` is every tenant without an entry of its own.
    public var quotas: [String: Quota]

    /// The quota of `tenant`: its own entry, else `*`'s, else none.
    public func quota(of tenant: String) -> Quota? { quotas[tenant] ?? quotas["*"] }

    /// The `iss` tokens must carry, if set.
    public var issuer: String?
    /// The audience tokens must name in `aud`, if set.
    public var audience: String?
    /// The signing keys.
    public var keys: [Key]
    /// A JWKS file of more (public) keys, each with `kid` and `alg`.
    public var jwks: String?
    /// Static API keys.
    public var apiKeys: [APIKey]
    /// The folder relative paths are read from (the file's own).
    public var directory = "."

    private enum CodingKeys: String, CodingKey { case issuer, audience, keys, jwks, apiKeys, quotas }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
        audience = try container.decodeIfPresent(String.self, forKey: .audience)
        keys = try container.decodeIfPresent([Key].self, forKey: .keys) ?? []
        jwks = try container.decodeIfPresent(String.self, forKey: .jwks)
        apiKeys = try container.decodeIfPresent([APIKey].self, forKey: .apiKeys) ?? []
        quotas = try container.decodeIfPresent([String: Quota].self, forKey: .quotas) ?? [:]
    }

    /// The configuration in the JSON file at `path`.
    /// - Throws: ``AccessError/configuration(_:)`` saying what is wrong: unreadable, not JSON,
    ///   a field missing or of the wrong kind, or nothing to verify with.
    public static func load(path: String) throws(AccessError) -> AccessConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .configuration("\(path) cannot be read: \(error.localizedDescription)")
        }
        var configuration: AccessConfiguration
        do { configuration = try JSONDecoder().decode(AccessConfiguration.self, from: data) } catch {
            throw .configuration("\(path) is not an access configuration: \(Self.describe(error))")
        }
        configuration.directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        for (tenant, quota) in configuration.quotas.sorted(by: { $0.key < $1.key }) {
            guard tenant == "*" || Tenant.isValid(tenant) else {
                throw .configuration("\(path): quotas.\(tenant) is not a tenant name (1 to 63 of a-z, 0-9, -) nor *")
            }
            if let rate = quota.eventsPerSecond, !(rate > 0) { throw .configuration("\(path): quotas.\(tenant).eventsPerSecond must be above 0") }
            if let consumers = quota.consumers, consumers < 0 { throw .configuration("\(path): quotas.\(tenant).consumers must be 0 or more") }
        }
        guard !configuration.keys.isEmpty || configuration.jwks != nil || !configuration.apiKeys.isEmpty else {
            throw .configuration("\(path) has no keys, no jwks and no apiKeys: nothing could ever be let in")
        }
        return configuration
    }

    /// The text of a file named in the configuration (relative to its folder).
    func read(_ file: String, for what: String) throws(AccessError) -> String {
        let path = file.hasPrefix("/") ? file : "\(directory)/\(file)"
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .configuration("\(what): \(path) cannot be read: \(error.localizedDescription)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the file" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
    }
}
