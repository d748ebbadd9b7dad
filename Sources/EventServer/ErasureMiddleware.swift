import EventModel
import EventStore
import Hummingbird

/// Answers every request about an erased object (`/v1/objects/{type}/{id}` and everything under
/// it) with 410 `object-erased` and when it was erased, before any route reads it: its events,
/// views, branches, snapshots, archive and stream are gone alike. Only for a request that has a
/// principal (the route still checks its scope); one without is left to the route's 401.
struct ErasureMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let store: EventStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let parts = request.uri.path.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: true)
        guard parts.count >= 4, parts[0] == "v1", parts[1] == "objects", context.identity != nil else { return try await next(request, context) }
        guard let typeName = String(parts[2]).removingPercentEncoding, let idText = String(parts[3]).removingPercentEncoding,
            let type = try? ObjectType(typeName), let id = try? ObjectID(idText)
        else { return try await next(request, context) }
        let object = ObjectKey(type: type, id: id, tenant: context.tenant)
        let erasedAt: Int64?
        do { erasedAt = try store.erasure(of: object) } catch { throw Problem(error) }
        if let erasedAt { throw Problem(EventStoreError.objectErased(object, at: erasedAt)) }
        return try await next(request, context)
    }
}
