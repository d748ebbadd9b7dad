/// What a token lets its holder do, within its tenant. Every route of the server needs one
/// (or none: `/healthz`, `/openapi.json`).
public enum Scope: String, CaseIterable, Sendable, Codable, Comparable {
    /// Read objects, views, the log, listings and cross-object views; follow them live.
    case read
    /// Append events.
    case append
    /// Send commands.
    case command
    /// Fork, merge and delete branches.
    case branch
    /// Create, read, acknowledge and delete consumers.
    case consume
    /// Rebuilds, jobs, sinks, imports, snapshots on demand, `/metrics`.
    case admin

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Scopes written as a token's `scope` claim writes them: names separated by spaces (or
    /// commas, as on a command line).
    /// - Throws: ``AccessError/invalidClaim(_:reason:)`` naming the first unknown scope.
    public static func parse(_ text: String) throws(AccessError) -> Set<Scope> {
        var scopes = Set<Scope>()
        for name in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            guard let scope = Scope(rawValue: String(name)) else {
                throw .invalidClaim("scope", reason: "\(name) is not a scope; the scopes are \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scopes.insert(scope)
        }
        return scopes
    }
}
