import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `DELETE /v1/objects/{type}/{id}` → 200 `{"object", "erasedAt", "position"}`: the object
/// erased by destroying its data key (scope `admin`): its `ObjectErased` tombstone at
/// `position` ends its history, every branch is gone, and every request about it answers 410
/// from then on (``ErasureCheck``). 404 for an object with no events; 409 `sealing-off`
/// on a store without a master key.
struct ErasureRoutes<Context: TenantRequestContext>: Sendable {
    let store: EventStore

    func register(on router: some RouterMethods<Context>) {
        router.delete("/v1/objects/:type/:id") { request, context in try await erase(request, context) }
    }

    private func erase(_ request: Request, _ context: Context) async throws -> Response {
        let object = try RequestParsing.stream(request, context).object
        let erasure: ObjectErasure
        do { erasure = try await store.erase(object) } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 128)
        writer.value(
            .object([
                "object": .string(object.description), "erasedAt": .number(Double(erasure.erasedAtMilliseconds)),
                "position": .number(Double(erasure.position)),
            ]))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
