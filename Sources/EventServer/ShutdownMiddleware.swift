import Hummingbird

/// Once shutdown has begun, answers every new request 503 `shutting-down` and closes its
/// connection: a client that keeps its connection busy (a long poll asked again the moment it
/// ends) would otherwise hold the server open for as long as it likes.
struct ShutdownMiddleware<Context: RequestContext>: RouterMiddleware {
    let streams: LogStreamHub

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard streams.isClosing else { return try await next(request, context) }
        throw Problem(
            .serviceUnavailable, type: .shuttingDown, detail: "the server is stopping: retry against the restarted server",
            headers: [.retryAfter: "1", .connection: "close"])
    }
}
