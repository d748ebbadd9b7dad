import EventModel
import EventStore
import Hummingbird

/// The answer for a request about an erased object (`/v1/objects/{type}/{id}` and every route
/// under it): 410 `object-erased` with when it was erased, before the route reads anything.
/// Run by every object route once its access is checked (``RouteTable/objectCheck``), so only
/// a principal allowed the route hears of the erasure.
enum ErasureCheck {
    /// The check for `store`'s routes.
    static func check<Context: TenantRequestContext>(_ store: EventStore) -> @Sendable (Request, Context) async throws -> Void {
        { request, context in
            let object = try RequestParsing.stream(request, context).object
            let erasedAt: Int64?
            do throws(EventStoreError) { erasedAt = try store.erasure(of: object) } catch { throw Problem(error) }
            if let erasedAt { throw Problem(EventStoreError.objectErased(object, at: erasedAt)) }
        }
    }
}
