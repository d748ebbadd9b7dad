import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/reactions`: each reaction with its position, lag, whether it is paused and the last
/// commands of it refused in the caller's tenant; `POST /v1/reactions/{name}/pause` and
/// `/resume`: stop a reaction where it is (across restarts) and start it again, answering its
/// status.
struct ReactionRoutes<Context: TenantRequestContext> {
    let store: EventStore

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/reactions") { request, context in try list(request, context) }
        router.post("/v1/reactions/:name/pause") { _, context in try await setPaused(true, context) }
        router.post("/v1/reactions/:name/resume") { _, context in try await setPaused(false, context) }
    }

    private func list(_ request: Request, _ context: Context) throws -> Response {
        var refusals = 10
        if let value = request.uri.queryParameters.get("refusals") {
            guard let count = Int(value), (0...1_000).contains(count) else { throw Problem.invalidField("refusals", "must be a whole number from 0 to 1000", type: .invalidQuery) }
            refusals = count
        }
        let statuses: [ReactionStatus]
        do { statuses = try store.reactionStatuses(tenant: context.tenant, refusalsMax: refusals) } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 1024)
        ReactionJSON.write(statuses, into: &writer)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func setPaused(_ paused: Bool, _ context: Context) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard store.reactions.contains(where: { $0.name == name }) else {
            let known = store.reactions.map(\.name).joined(separator: ", ")
            throw Problem(
                .notFound, type: .reactionNotFound, detail: "there is no reaction \(name) (reactions: \(known.isEmpty ? "none" : known))",
                extensions: [Problem.string("field", "name")])
        }
        do { try await store.setReactionPaused(name, paused) } catch { throw Problem(error) }
        let status: ReactionStatus?
        do { status = try store.reactionStatuses(tenant: context.tenant, refusalsMax: 0).first { $0.name == name } } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 256)
        if let status { ReactionJSON.write(status, into: &writer) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
