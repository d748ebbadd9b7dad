import Access
import EventModel
import Hummingbird
import HummingbirdAuth

/// What a route needs of the request's principal: nothing (health, the contract), one scope,
/// or the operator. Every route the server has is listed here by method and path (a test checks
/// the router's own list against it); a route missing from it is the operator's, so a new one
/// is never open by mistake.
enum RouteAccess: Equatable {
    /// Anyone: the route reaches no tenant's data.
    case open
    /// A principal with this scope; what it reaches is its tenant's.
    case scope(Scope)
    /// The operator: `admin` of the tenant `default`. For routes whose effect or answer spans
    /// every tenant (metrics, rebuilds and their jobs, sinks): no other tenant reaches them.
    case `operator`

    /// What `method` on `path` (as the router writes it, `/v1/objects/{type}`) needs; nil when
    /// the route is not listed.
    static func listed(method: String, path: String) -> RouteAccess? {
        switch (method, path) {
        case ("GET", "/healthz"), ("GET", "/openapi.json"), ("GET", "/console"), ("GET", "/console/{file}"): .open
        case ("GET", "/metrics"), ("POST", "/v1/projections/{view}/rebuild"), ("GET", "/v1/jobs"), ("GET", "/v1/jobs/{id}"),
            ("GET", "/v1/sinks/parked"), ("DELETE", "/v1/sinks/{name}/parked/{position}"), ("POST", "/v1/reactions/{name}/pause"),
            ("POST", "/v1/reactions/{name}/resume"), ("POST", "/v1/admin/backup"),
            ("POST", "/v1/admin/verify"), ("GET", "/v1/admin/verify"), ("GET", "/v1/admin/verify/{id}"):
            .operator
        case ("GET", "/v1/objects"), ("GET", "/v1/objects/{type}"), ("GET", "/v1/types/{type}"), ("GET", "/v1/objects/{type}/{id}/events"),
            ("GET", "/v1/objects/{type}/{id}/views/{view}"), ("GET", "/v1/objects/{type}/{id}/stream"),
            ("GET", "/v1/objects/{type}/{id}/branches"), ("GET", "/v1/objects/{type}/{id}/branches/{branch}/diff"),
            ("GET", "/v1/log"), ("GET", "/v1/log/stream"), ("GET", "/v1/views"), ("GET", "/v1/views/{view}"),
            ("GET", "/v1/reactions"), ("GET", "/v1/objects/{type}/{id}/archive"), ("GET", "/v1/objects/{type}/{id}/ws"):
            .scope(.read)
        case ("POST", "/v1/objects/{type}/{id}/events"): .scope(.append)
        case ("POST", "/v1/objects/{type}/{id}/commands/{name}"): .scope(.command)
        case ("POST", "/v1/objects/{type}/{id}/branches"), ("DELETE", "/v1/objects/{type}/{id}/branches/{branch}"),
            ("POST", "/v1/objects/{type}/{id}/branches/{branch}/merge"):
            .scope(.branch)
        case ("GET", "/v1/consumers"), ("PUT", "/v1/consumers/{name}"), ("GET", "/v1/consumers/{name}"), ("DELETE", "/v1/consumers/{name}"),
            ("GET", "/v1/consumers/{name}/events"), ("POST", "/v1/consumers/{name}/ack"), ("GET", "/v1/consumers/{name}/stream"):
            .scope(.consume)
        case ("POST", "/v1/objects/{type}/{id}/snapshots"), ("PUT", "/v1/objects/{type}/{id}/archive"), ("DELETE", "/v1/objects/{type}/{id}"): .scope(.admin)
        default: nil
        }
    }

    /// What `method` on `path` needs: as listed, the operator when not.
    static func of(method: String, path: String) -> RouteAccess { listed(method: method, path: path) ?? .operator }

    /// Checks `principal` against this access.
    /// - Throws: 401 ``ProblemType/unauthenticated`` without a principal, 403
    ///   ``ProblemType/scopeMissing`` naming the scope it lacks (for an operator's route, a
    ///   principal of another tenant lacks `admin` of `default`, whatever its scopes).
    func check(_ principal: Principal?) throws(Problem) {
        let scope: Scope
        switch self {
        case .open: return
        case .scope(let needed): scope = needed
        case .operator:
            guard let principal else { throw .unauthenticated(.missingToken) }
            guard principal.tenant.isDefault, principal.scopes.contains(.admin) else {
                throw Problem(
                    .forbidden, type: .scopeMissing,
                    detail: "this is the operator's: it needs the scope admin of the tenant default (it spans every tenant)",
                    extensions: [Problem.string("scope", Scope.admin.rawValue)])
            }
            return
        }
        guard let principal else { throw .unauthenticated(.missingToken) }
        guard principal.scopes.contains(scope) else {
            throw Problem(
                .forbidden, type: .scopeMissing,
                detail: "this needs the scope \(scope.rawValue); the token has \(principal.scopes.isEmpty ? "none" : principal.scopes.sorted().map(\.rawValue).joined(separator: ", "))",
                extensions: [Problem.string("scope", scope.rawValue)])
        }
    }
}

/// A route's responder behind its ``RouteAccess`` check, then (for an object's routes) the
/// check that the object is not erased: a principal without the route's scope gets 401 or 403,
/// never word of the object.
struct AccessCheckedResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: AuthRequestContext<Principal> {
    let access: RouteAccess
    let objectCheck: (@Sendable (Request, Base.Context) async throws -> Void)?
    let base: Base

    func respond(to request: Request, context: Base.Context) async throws -> Response {
        try access.check(context.identity)
        if let objectCheck { try await objectCheck(request, context) }
        return try await base.respond(to: request, context: context)
    }
}
