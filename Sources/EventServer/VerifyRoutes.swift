import EventModel
import EventStore
import Hummingbird
import NIOCore

/// Verification while the server keeps serving (the operator's: it spans every tenant):
/// - `POST /v1/admin/verify {"type"?, "sample"?}` → 202 with the run (`Location:
///   /v1/admin/verify/{id}`): every object branch's views and snapshots folded again from the
///   events and compared (of `type` only, or a random `sample` of them), then, for a whole
///   check, every cross-object view; what `evtool verify` does on a data folder;
/// - `GET /v1/admin/verify/{id}` → the run: its state, progress and, once done, its findings;
/// - `GET /v1/admin/verify` → the runs kept (the newest 16).
struct VerifyRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let runs: VerifyRuns

    func register(on router: some RouterMethods<Context>) {
        router.post("/v1/admin/verify") { request, _ in try await start(request) }
        router.get("/v1/admin/verify/:id") { _, context in try run(context) }
        router.get("/v1/admin/verify") { _, _ in Self.answer(.ok, .object(["runs": .array(runs.all.map(\.json))])) }
    }

    private func start(_ request: Request) async throws -> Response {
        var body: [String: JSONValue] = [:]
        let hasBody = request.headers[.contentLength].flatMap(Int.init).map { $0 > 0 } ?? (request.headers[.transferEncoding] != nil)
        if hasBody { body = try await RequestParsing.jsonObject(request, store: store, members: ["type", "sample"]) }
        var type: String?
        if let value = body["type"] {
            guard let name = value.stringValue, store.objectTypes[name] != nil else {
                throw Problem(
                    .unprocessableContent, type: .invalidRequest,
                    detail: "/type must name an object type with views: \(store.objectTypes.keys.sorted().joined(separator: ", "))",
                    extensions: [Problem.string("field", "/type")])
            }
            type = name
        }
        var sample: Int?
        if let value = body["sample"] {
            guard let count = value.integerValue, count >= 1, count <= 9_007_199_254_740_991 else {
                throw Problem.invalidField("/sample", "must be a whole number from 1 to 9007199254740991")
            }
            sample = count
        }
        let run = runs.start(store, type: type, sample: sample)
        var response = Self.answer(.accepted, run.json)
        response.headers[.location] = "/v1/admin/verify/\(run.id)"
        return response
    }

    private func run(_ context: Context) throws -> Response {
        guard let text = context.parameters.get("id"), let id = Int(text), let run = runs.run(id) else {
            throw Problem(
                .notFound, type: .jobNotFound, detail: "no verification \(context.parameters.get("id") ?? "") is kept (GET /v1/admin/verify lists them)",
                extensions: [Problem.string("field", "id")])
        }
        return Self.answer(.ok, run.json)
    }

    private static func answer(_ status: HTTPResponse.Status, _ json: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(json.jsonText.utf8))))
    }
}
