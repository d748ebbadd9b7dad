import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/types/{type}`: what an object type is, for a client that builds itself from it (the
/// console's command forms): its description, its views, its commands with the schema of each
/// body, its event types with the schema of each event's data, and its retention.
struct TypeRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/types/:type") { _, context in try describe(context) }
    }

    /// `{"type", "description", "declared", "commandsOnly", "retention", "views": [{"name",
    /// "keyed"}], "commands": [{"name", "view", "schema"}], "events": {type: schema}}`, names in
    /// order; a command without a declared schema has `"schema": null`. 404
    /// `unknown-object-type` for a type neither declared by a schema nor defined with views.
    private func describe(_ context: Context) throws -> Response {
        let type = try RequestParsing.objectType(context)
        let schemas = configuration.schemas.types[type.name]
        let definition = store.objectTypes[type.name]
        guard schemas != nil || definition != nil else { throw Problem.undeclaredType(type, configuration.schemas) }
        let views: [JSONValue] = (definition?.views ?? []).map { ["name": .string($0.name), "keyed": .bool($0.isKeyed)] }
        let commands: [JSONValue] = (definition?.commands.values.sorted { $0.name < $1.name } ?? []).map {
            ["name": .string($0.name), "view": .string($0.viewName), "schema": schemas?.commandDocuments[$0.name] ?? .null]
        }
        let answer: JSONValue = [
            "type": .string(type.name), "description": .string(schemas?.description ?? ""), "declared": .bool(schemas != nil),
            "commandsOnly": .bool(definition?.commandsOnly ?? false),
            "retention": definition?.retention.map { .string($0.description) } ?? .null,
            "views": .array(views), "commands": .array(commands), "events": .object(schemas?.eventDocuments ?? [:]),
        ]
        var writer = JSONWriter()
        writer.value(answer)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
