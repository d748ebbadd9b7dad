import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `POST /v1/projections/{view}/rebuild {"type", "jobs", "force"}` → 202 with the job (`Location:
/// /v1/jobs/{id}`), or for a cross-object view 202 with its position (`Location: /v1/views/{view}`); `GET /v1/jobs/{id}` → its progress, rate and time left; `GET /v1/jobs`.
struct JobRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let runner: RebuildRunner

    func register(on router: some RouterMethods<Context>) {
        router.post("/v1/projections/:view/rebuild") { request, context in try await rebuild(request, context) }
        router.get("/v1/jobs/:id") { request, context in try job(request, context) }
        router.get("/v1/jobs") { _, _ in try list() }
    }

    private func rebuild(_ request: Request, _ context: Context) async throws -> Response {
        let view = context.parameters.get("view") ?? ""
        var body: [String: JSONValue] = [:]
        let bodyBytes = request.headers[.contentLength].flatMap(Int.init) ?? (request.headers[.transferEncoding] == nil ? 0 : 1)
        if bodyBytes > 0 {
            body = try await RequestParsing.jsonObject(request, store: store, members: ["type", "jobs", "force"])
        }
        var type: String?
        if let value = body["type"] {
            guard let text = value.stringValue else { throw Problem.invalidField("/type", "must be an object type's name") }
            type = text
        }
        var jobs = 2
        if let value = body["jobs"] {
            guard let count = value.integerValue, (1...64).contains(count) else { throw Problem.invalidField("/jobs", "must be a whole number from 1 to 64") }
            jobs = count
        }
        var force = false
        if let value = body["force"] {
            guard case .bool(let flag) = value else { throw Problem.invalidField("/force", "must be true or false") }
            force = flag
        }
        if store.logViews.contains(where: { $0.name == view }) {
            guard type == nil else { throw Problem.invalidField("/type", "is for a view of objects; \(view) is a cross-object view, folded from the whole log") }
            return try await resetLogView(view)
        }
        let owners = store.objectTypes.values.filter { $0.views.contains { $0.name == view } }.map(\.name)
        guard !owners.isEmpty, type.map(owners.contains) ?? true else {
            let known = store.objectTypes.values.flatMap { definition in definition.views.map { "\(definition.name)/\($0.name)" } }.sorted()
                + store.logViews.map(\.name)
            throw Problem(
                .notFound, type: .viewNotFound,
                detail: "\(type.map { "\($0) has no view" } ?? "no object type has a view") \(view) (views: \(known.joined(separator: ", ")))",
                extensions: [Problem.string("field", owners.isEmpty ? "view" : "/type")])
        }
        let job: RebuildJob
        do { job = try await runner.start(view: view, type: type, jobs: jobs, force: force) } catch { throw Problem(error) }
        return Response(
            status: .accepted, headers: [.contentType: "application/json", .location: "/v1/jobs/\(job.id)"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(Self.json(job, now: store.clockMilliseconds).jsonText.utf8))))
    }

    /// A cross-object view is rebuilt by forgetting what is stored of it; the server's fold
    /// starts it again from the log's first event. 202 with its position (`Location:
    /// /v1/views/{view}`, whose lag shows the progress).
    private func resetLogView(_ view: String) async throws -> Response {
        let position: LogViewPosition?
        do {
            try await store.resetLogView(view)
            position = try store.logViewPositions().first { $0.view == view }
        } catch { throw Problem(error) }
        var writer = JSONWriter()
        position?.write(into: &writer)
        return Response(
            status: .accepted, headers: [.contentType: "application/json", .location: "/v1/views/\(view)"],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func job(_ request: Request, _ context: Context) throws -> Response {
        guard let text = context.parameters.get("id"), let id = UInt64(text) else { throw Problem.invalidField("id", "must be a job number") }
        let job: RebuildJob?
        do { job = try store.rebuildJob(id) } catch { throw Problem(error) }
        guard let job else {
            throw Problem(.notFound, type: .jobNotFound, detail: "there is no job \(id)", extensions: [Problem.string("field", "id")])
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(Self.json(job, now: store.clockMilliseconds).jsonText.utf8))))
    }

    private func list() throws -> Response {
        let jobs: [RebuildJob]
        do { jobs = try store.rebuildJobs() } catch { throw Problem(error) }
        let now = store.clockMilliseconds
        let body = JSONValue.object(["jobs": .array(jobs.map { Self.json($0, now: now) })])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Array(body.jsonText.utf8))))
    }

    /// The job's JSON with `eventsPerSecond` and, while it runs, `secondsLeft`.
    static func json(_ job: RebuildJob, now: Int64) -> JSONValue {
        guard case .object(var members) = job.json else { return job.json }
        let elapsed = Double(max(1, (job.finishedMilliseconds ?? now) - job.startedMilliseconds)) / 1000
        members["eventsPerSecond"] = .number((Double(job.events) / elapsed).rounded())
        if job.state == .running, job.progress > 0 {
            members["secondsLeft"] = .number((elapsed * (1 - job.progress) / job.progress).rounded())
        }
        return .object(members)
    }
}
