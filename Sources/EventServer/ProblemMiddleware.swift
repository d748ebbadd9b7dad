import Access
import Hummingbird
import HummingbirdAuth
import NIOCore

/// Turns every error that is not already a ``Problem`` into one, so that no answer of the
/// server is an error in another format (unknown routes and methods included): a path a route
/// has with another method is 405 `method-not-allowed` with `Allow`, any other 404 `not-found`.
struct ProblemMiddleware<Context: AuthRequestContext<Principal>>: RouterMiddleware {
    /// The routes, to tell a wrong method from a wrong path.
    let routes: RouteTable<Context>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch is NIOTooManyBytesError {
            throw Problem(.contentTooLarge, type: .payloadTooLarge, detail: "the body is above the request limit")
        } catch let error as HTTPError where error.status == .notFound && !routes.methods(for: request.uri.path).isEmpty {
            let allowed = routes.methods(for: request.uri.path)
            throw Problem(
                .methodNotAllowed, type: .methodNotAllowed, detail: "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not \(request.method)",
                headers: [.allow: allowed.joined(separator: ", ")])
        } catch let error as HTTPError {
            throw Problem(
                error.status, type: error.status == .notFound ? .notFound : .httpError,
                detail: error.body ?? "\(request.method) \(request.uri.path): \(error.status.reasonPhrase)")
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw Problem(.internalServerError, type: .internalError, detail: "\(error)")
        }
    }
}
