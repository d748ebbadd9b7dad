import Access
import HTTPTypes
import Hummingbird
import HummingbirdAuth

/// A router that remembers every route added to it, in order: the server's own list of its
/// routes, which the OpenAPI document is checked against (so a new route cannot be left out of
/// it). Routes are added to `router` as they are recorded, each behind the check of what it
/// needs of the request's principal (``RouteAccess``): no route escapes it.
final class RouteTable<Context: AuthRequestContext<Principal>>: RouterMethods, @unchecked Sendable {
    /// One route: its method and its path as Hummingbird writes it, parameters in braces
    /// (`/v1/objects/{type}`, as OpenAPI writes them too).
    struct Route: Hashable {
        let method: String
        let path: String
    }

    let router: Router<Context>
    private(set) var routes: [Route] = []
    /// Runs for every request to a route under `/v1/objects/{type}/{id}`, once the route's
    /// access is checked and before the route: the answer for an erased object.
    var objectCheck: (@Sendable (Request, Context) async throws -> Void)?

    init(_ router: Router<Context>) { self.router = router }

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        routes.append(Route(method: method.rawValue, path: path.description))
        let check = path.description.hasPrefix("/v1/objects/{type}/{id}") ? objectCheck : nil
        router.on(
            path, method: method,
            responder: AccessCheckedResponder(access: RouteAccess.of(method: method.rawValue, path: path.description), objectCheck: check, base: responder))
        return self
    }

    /// The methods of the routes whose paths match `path` (a request's), in the order added;
    /// empty when no route has that path.
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [String] = []
        for route in routes where !methods.contains(route.method) {
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == parts.count else { continue }
            if zip(pattern, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { methods.append(route.method) }
        }
        return methods
    }

    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }
}
