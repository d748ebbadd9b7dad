import Foundation
import JWTKit

/// The claims of an evlog token: the registered ones it checks (`exp` required, `nbf`, `iss`,
/// `aud`) and its own, `tenant` and `scope` (scope names separated by spaces, as OAuth writes
/// them).
public struct TokenClaims: JWTPayload, Equatable {
    /// When it stops being valid (required).
    public var exp: ExpirationClaim
    /// When it starts being valid.
    public var nbf: NotBeforeClaim?
    /// Who issued it.
    public var iss: IssuerClaim?
    /// Whom it is for.
    public var aud: AudienceClaim?
    /// Whom it was issued to.
    public var sub: SubjectClaim?
    /// The tenant it acts for.
    public var tenant: String
    /// What it may do there: scope names separated by spaces.
    public var scope: String

    /// Claims for `tenant` and `scopes`, valid until `expires`.
    public init(tenant: String, scopes: Set<Scope>, expires: Date, subject: String? = nil, issuer: String? = nil, audience: String? = nil) {
        exp = ExpirationClaim(value: expires)
        nbf = nil
        iss = issuer.map { IssuerClaim(value: $0) }
        aud = audience.map { AudienceClaim(value: [$0]) }
        sub = subject.map { SubjectClaim(value: $0) }
        self.tenant = tenant
        scope = scopes.sorted().map(\.rawValue).joined(separator: " ")
    }

    /// Checks `exp` and `nbf` against the clock (jwt-kit calls it once the signature verified).
    public func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}
