import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `GET /v1/sinks/parked?sink=NAME` lists the batches sinks gave up on (each with its sink,
/// first position, reason and events); `DELETE /v1/sinks/{name}/parked/{position}` drops one
/// (`evtool sink replay` does after delivering it).
struct ParkedRoutes<Context: TenantRequestContext> {
    let store: EventStore

    func register(on router: some RouterMethods<Context>) {
        router.get("/v1/sinks/parked") { request, _ in try list(request) }
        router.delete("/v1/sinks/:name/parked/:position") { _, context in try await drop(context) }
    }

    private func list(_ request: Request) throws -> Response {
        let sink = request.uri.queryParameters.get("sink").map { String($0) }
        let batches: [ParkedBatch]
        do { batches = try store.parkedBatches(sink: sink) } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 1024)
        writer.ascii("{\"parked\":[")
        for (index, batch) in batches.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"sink\":")
            writer.string(batch.sink)
            writer.ascii(",\"firstPosition\":")
            writer.integer(batch.firstPosition)
            writer.ascii(",\"reason\":")
            writer.string(batch.reason)
            writer.ascii(",\"events\":")
            writer.bytes.append(contentsOf: batch.body)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.ascii("]}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func drop(_ context: Context) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard Consumer.isValidName(name) else { throw Problem.invalidField("name", "must be a sink's name: 1-64 characters of a-z, 0-9, '_' and '-'") }
        guard let position = context.parameters.get("position").flatMap(UInt64.init) else {
            throw Problem.invalidField("position", "must be the parked batch's first position")
        }
        do { try await store.unpark(sink: name, firstPosition: position) } catch { throw Problem(error) }
        return Response(status: .noContent)
    }
}
