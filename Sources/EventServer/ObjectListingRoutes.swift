import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/objects` (the object types, with how many objects each has) and
/// `GET /v1/objects/{type}` (its objects in id order, paged): finding objects whose names a
/// client does not know yet.
struct ObjectListingRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    /// Objects listed when `?limit=` is not given.
    static var limitDefault: Int64 { 100 }

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/objects") { _, context in try types(context) }
        router.get("/v1/objects/:type") { request, context in try objects(request, context) }
    }

    /// `{"types": [{"type", "objects"}]}`: every type that has objects, and every declared one
    /// (with 0 when it has none), in name order.
    private func types(_ context: Context) throws -> Response {
        var counts: [String: UInt64] = [:]
        for type in configuration.schemas.types.keys { counts[type] = 0 }
        do {
            for count in try store.objectTypeCounts(tenant: context.tenant) { counts[count.type] = count.objects }
        } catch {
            throw Problem(error)
        }
        let sorted = counts.keys.sorted().map { ObjectTypeCount(type: $0, objects: counts[$0] ?? 0) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: ObjectTypeCount.json(sorted))))
    }

    /// `{"type", "objects": [{"id", "version", "branches", "lastCommitTime"}], "next"}`: the
    /// objects of the type whose ids start with `?prefix=`, after `?after=` (the `next` of the
    /// page before), at most `?limit=` (100; 1 to 1,000). 404 `unknown-object-type` for a type
    /// no schema declares and no object has (when undeclared types are refused).
    private func objects(_ request: Request, _ context: Context) throws -> Response {
        let type = try RequestParsing.objectType(context)
        let limit = try RequestParsing.integer("limit", request, default: Self.limitDefault, range: 1...Int64(EventStore.listingLimitMax))
        let prefix = request.uri.queryParameters.get("prefix").map { String($0) } ?? ""
        // A start of ids, and a place in their order, are checked as ids are, but for `.` and
        // `..`: no object has those ids, and they are places in the order all the same.
        if !prefix.isEmpty, prefix != ".", prefix != ".." {
            do throws(NameError) { _ = try ObjectID(prefix) } catch {
                throw Problem.invalidField("prefix", "must be the start of object ids: \(error.reason)", type: .invalidQuery)
            }
        }
        var after: String?
        if let text = request.uri.queryParameters.get("after").map({ String($0) }) {
            if text != ".", text != ".." {
                do throws(NameError) { _ = try ObjectID(text) } catch {
                    throw Problem.invalidField("after", "must be an object id (the next of the page before): \(error.reason)", type: .invalidQuery)
                }
            }
            after = text
        }
        let listing: ObjectListing
        do { listing = try store.listObjects(of: type, tenant: context.tenant, prefix: prefix, after: after, limit: Int(limit)) } catch { throw Problem(error) }
        let schemas = configuration.schemas
        if listing.objects.isEmpty, after == nil, prefix.isEmpty, schemas.types[type.name] == nil, !schemas.allowsUndeclared {
            throw Problem.undeclaredType(type, schemas)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: listing.json())))
    }
}
