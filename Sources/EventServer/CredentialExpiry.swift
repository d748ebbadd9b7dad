import Access

/// When a long-lived answer opened with a token (an event stream, a WebSocket) ends: when the
/// token expires, as a request made then would be refused. Never for an API key, nor without
/// access control. The client reconnects with a new token, resuming where it left off
/// (`Last-Event-ID`, the version it has).
public struct CredentialExpiry: Sendable {
    private let deadline: ContinuousClock.Instant?

    /// The expiry of `principal`'s credential.
    public init(_ principal: Principal?) {
        deadline = principal?.remaining.map { ContinuousClock.now + $0 }
    }

    /// Whether the credential has expired.
    public var hasPassed: Bool { deadline.map { ContinuousClock.now >= $0 } ?? false }

    /// `timeout`, cut short to end when the credential expires.
    public func bounded(_ timeout: Duration) -> Duration {
        guard let deadline else { return timeout }
        return max(.zero, min(timeout, deadline - ContinuousClock.now))
    }

    /// The Server-Sent Event a stream ends with when the credential expired: an `error` event
    /// whose data is the 401 problem.
    static let streamEnd = "event: error\ndata: {\"type\":\"/problems/unauthenticated\",\"title\":\"\(ProblemType.unauthenticated.title)\",\"status\":401,\"detail\":\"the token expired: reconnect with a new one (Last-Event-ID resumes)\"}\n\n"
}
