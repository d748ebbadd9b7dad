/// The credential of an `Authorization` header: what follows the `Bearer` scheme (RFC 6750;
/// the scheme's name in any case).
public enum BearerCredential {
    /// The credential `authorization` carries; nil for another scheme or none at all.
    public static func parse(_ authorization: String) -> String? {
        guard authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        let credential = authorization.dropFirst(7).drop { $0 == " " }
        return credential.isEmpty ? nil : String(credential)
    }
}
