import EventModel
import EventStore
import Hummingbird
import NIOCore

/// `/v1/objects/{type}/{id}/branches`: forks of an object, compared and merged back.
///
/// - `POST .../branches {"name", "from": "main", "at": SEQ}` → 201 with the branch;
/// - `GET .../branches` → every branch with its parent, fork seq and head;
/// - `DELETE .../branches/{name}` → 204 (never `main`; not while it has branches of its own);
/// - `GET .../branches/{name}/diff?against=main&view=V` → each side's events since the common
///   ancestor and the JSON Patch (RFC 6902) from `against`'s view state to the branch's;
/// - `POST .../branches/{name}/merge {"into": "main", "expectedVersion"}` → 200 with the merge.
struct BranchRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let configuration: ServerConfiguration

    func register(on router: some RouterMethods<Context>) {
        router.post("/v1/objects/:type/:id/branches") { request, context in try await create(request, context) }
        router.get("/v1/objects/:type/:id/branches") { request, context in try list(request, context) }
        router.delete("/v1/objects/:type/:id/branches/:branch") { request, context in try await delete(request, context) }
        router.get("/v1/objects/:type/:id/branches/:branch/diff") { request, context in try diff(request, context) }
        router.post("/v1/objects/:type/:id/branches/:branch/merge") { request, context in try await merge(request, context) }
    }

    private func object(_ request: Request, _ context: Context) throws -> ObjectKey {
        guard request.uri.queryParameters.get("branch") == nil else {
            throw Problem.invalidField("branch", "is not taken here; the branch is part of the path")
        }
        return try RequestParsing.stream(request, context).object
    }

    private func branch(_ name: String, field: String) throws -> BranchName {
        do { return try BranchName(name) } catch { throw Problem.invalidField(field, "\(error)") }
    }

    private func pathBranch(_ context: Context) throws -> BranchName {
        try branch(context.parameters.get("branch")?.removingPercentEncoding ?? "", field: "branch")
    }

    private func create(_ request: Request, _ context: Context) async throws -> Response {
        let object = try object(request, context)
        let body = try await RequestParsing.jsonObject(request, store: store, members: ["name", "from", "at"])
        guard let nameText = body["name"]?.stringValue else { throw Problem.invalidField("/name", "is required: the new branch's name") }
        let name = try branch(nameText, field: "/name")
        let parent = try body["from"].map { value in
            guard let text = value.stringValue else { throw Problem.invalidField("/from", "must be a branch name") }
            return try branch(text, field: "/from")
        } ?? .main
        var at: Seq?
        if let value = body["at"] {
            guard let seq = value.integerValue, seq >= 0 else { throw Problem.invalidField("/at", "must be a seq: a whole number ≥ 0") }
            at = Seq(seq)
        }
        let info: BranchInfo
        do { info = try await store.createBranch(name, of: object, from: parent, at: at) } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 256)
        BranchJSON.write(info, of: object, into: &writer)
        return Response(
            status: .created,
            headers: [.contentType: "application/json", .location: "/v1/objects/\(object.type)/\(object.id)/events?branch=\(name)"],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func list(_ request: Request, _ context: Context) throws -> Response {
        let object = try object(request, context)
        let branches: [BranchInfo]
        do { branches = try store.branches(of: object) } catch { throw Problem(error) }
        guard !branches.isEmpty else { throw Problem.objectNotFound(StreamName(object: object)) }
        var writer = JSONWriter(capacity: 128 * branches.count + 64)
        BranchJSON.write(branches, of: object, into: &writer)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func delete(_ request: Request, _ context: Context) async throws -> Response {
        let object = try object(request, context)
        let name = try pathBranch(context)
        let ifMatch = try RequestParsing.ifMatchVersion(request)
        do {
            try await store.deleteBranch(name, of: object, expectedVersion: ifMatch.map { .exactly($0) } ?? .any)
        } catch {
            if ifMatch != nil, case .versionConflict = error { throw Problem.preconditionFailed(error) }
            throw Problem(error)
        }
        return Response(status: .noContent)
    }

    private func merge(_ request: Request, _ context: Context) async throws -> Response {
        let object = try object(request, context)
        let source = try pathBranch(context)
        let body = try await RequestParsing.jsonObject(request, store: store, members: ["into", "expectedVersion"])
        let into = try body["into"].map { value in
            guard let text = value.stringValue else { throw Problem.invalidField("/into", "must be a branch name") }
            return try branch(text, field: "/into")
        } ?? .main
        var expected = ExpectedVersion.any
        if let value = body["expectedVersion"] {
            guard let version = value.integerValue, version >= 0 else {
                throw Problem.invalidField("/expectedVersion", "must be the target's version: a whole number ≥ 0")
            }
            expected = .exactly(UInt64(version))
        }
        let target = StreamName(object: object, branch: into)
        let outcome: MergeOutcome
        do { outcome = try await store.merge(source, into: target, expectedVersion: expected) } catch { throw Problem(error) }
        var writer = JSONWriter(capacity: 256)
        BranchJSON.write(merge: outcome, from: source, into: &writer)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .eTag: "\"\(outcome.version)\""],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func diff(_ request: Request, _ context: Context) throws -> Response {
        let object = try object(request, context)
        let name = try pathBranch(context)
        let against = try branch(String(request.uri.queryParameters.get("against") ?? "main"), field: "against")
        let limit = Int(try RequestParsing.integer("limit", request, default: Int64(configuration.pageLimitDefault), range: 1...Int64(configuration.pageLimitMax)))
        let definition = store.objectTypes[object.type.name]
        var view: AnyProjection?
        if let viewName = request.uri.queryParameters.get("view") {
            guard let found = definition?.views.first(where: { $0.name == viewName }) else {
                throw Problem.viewNotFound(viewName, of: object.type, views: definition?.views.map(\.name) ?? [])
            }
            view = found
        } else {
            view = definition?.views.first
        }
        let diff: BranchDiff
        do {
            diff = try BranchDiff(
                store: store, branch: StreamName(object: object, branch: name), against: StreamName(object: object, branch: against), view: view,
                limit: limit)
        } catch {
            throw Problem(error)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: diff.json())))
    }
}
