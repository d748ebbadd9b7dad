import EventModel
import EventStore
import Hummingbird

/// An error answered as `application/problem+json` (RFC 9457).
///
/// `type` is stable: clients match on it. `detail` is for people; `extensions` carries the
/// facts a client acts on (the field that is wrong, the versions that conflict, ...).
public struct Problem: HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// The stable problem type, answered as a relative URI such as `/problems/version-conflict`.
    public let type: ProblemType
    /// What happened this time, in words a user can act on.
    public let detail: String
    /// Extra members, each already written as JSON.
    public let extensions: [(name: String, json: [UInt8])]
    /// Extra response headers (e.g. `Retry-After`).
    public let headers: HTTPFields

    /// A problem of `type` (its title is the type's).
    public init(
        _ status: HTTPResponse.Status, type: ProblemType, detail: String, extensions: [(name: String, json: [UInt8])] = [], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.type = type
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    /// An extension member holding a string.
    public static func string(_ name: String, _ value: String) -> (name: String, json: [UInt8]) {
        var writer = JSONWriter(capacity: value.utf8.count + 2)
        writer.string(value)
        return (name, writer.bytes)
    }

    /// An extension member holding a number.
    public static func number(_ name: String, _ value: UInt64) -> (name: String, json: [UInt8]) {
        var writer = JSONWriter(capacity: 20)
        writer.integer(value)
        return (name, writer.bytes)
    }

    /// The problem+json body.
    public var body: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.ascii("{\"type\":")
        writer.string(type.uri)
        writer.ascii(",\"title\":")
        writer.string(type.title)
        writer.ascii(",\"status\":")
        writer.integer(Int(status.code))
        writer.ascii(",\"detail\":")
        writer.string(detail)
        for member in extensions {
            writer.byte(UInt8(ascii: ","))
            writer.string(member.name)
            writer.byte(UInt8(ascii: ":"))
            writer.bytes.append(contentsOf: member.json)
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Problem {
    /// A request field that is wrong: 400 with `field` (a JSON Pointer or parameter name).
    static func invalidField(_ field: String, _ reason: String, type: ProblemType = .invalidRequest) -> Problem {
        Problem(
            .badRequest, type: type, detail: "\(field.isEmpty ? "the body" : field) \(reason)",
            extensions: [string("field", field)])
    }

    /// An object type, id or branch in the path that is not valid.
    static func invalidName(_ error: NameError) -> Problem {
        Problem(
            .badRequest, type: .invalidObjectKey, detail: error.description, extensions: [string("field", error.field)])
    }

    /// The problem for each engine error: one status and one stable type per case.
    public init(_ error: EventStoreError) {
        switch error {
        case .versionConflict(let stream, let expected, let actual):
            self.init(
                .conflict, type: .versionConflict, detail: "expected version \(expected), but \(stream) is at version \(actual)",
                extensions: [Problem.string("object", stream.object.description), Problem.number("expectedVersion", expected), Problem.number("actualVersion", actual)])
        case .eventIDConflict(let stream, let ids):
            var list = JSONWriter()
            list.byte(UInt8(ascii: "["))
            for (index, id) in ids.enumerated() {
                if index > 0 { list.byte(UInt8(ascii: ",")) }
                list.string(id.description)
            }
            list.byte(UInt8(ascii: "]"))
            self.init(
                .conflict, type: .eventIDConflict, detail: "\(ids.count) of the event ids were appended before, but not as this same request to \(stream); use new ids or retry the original request unchanged",
                extensions: [("eventIds", list.bytes)])
        case .requestTooLarge(let field, let limit, let actual):
            self.init(
                .contentTooLarge, type: .payloadTooLarge, detail: "\(field) is \(actual), above the limit of \(limit)",
                extensions: [Problem.string("field", field), Problem.number("limit", UInt64(limit))])
        case .invalidRequest(let field, let reason):
            self = .invalidField(field, reason)
        case .rejected(let rejection):
            self.init(rejection)
        case .queueFull:
            self.init(
                .serviceUnavailable, type: .queueFull, detail: "too many appends are waiting for the writer; retry after the delay in Retry-After",
                headers: [.retryAfter: "1"])
        case .storageFull(let reason):
            self.init(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), type: .storageFull, detail: "\(reason); nothing of this request was written; reads keep working")
        case .storageFailure(let underlying):
            self.init(.internalServerError, type: .storageFailure, detail: underlying.description)
        case .corruptRecord(let position, let reason):
            self.init(
                .internalServerError, type: .corruptRecord, detail: "position \(position): \(reason); run `evtool verify` and restore from a replica or backup",
                extensions: [Problem.number("position", position)])
        case .branchNotFound(let stream):
            self.init(
                .notFound, type: stream.branch == .main ? .objectNotFound : .branchNotFound, detail: error.description,
                extensions: [
                    Problem.string("field", "branch"), Problem.string("object", stream.object.description),
                    Problem.string("branch", stream.branch.name),
                ])
        case .branchExists(let stream):
            self.init(
                .conflict, type: .branchExists, detail: error.description,
                extensions: [Problem.string("branch", stream.branch.name)])
        case .branchHasChildren(let stream, let children):
            var list = JSONWriter()
            list.value(.array(children.map(JSONValue.string)))
            self.init(
                .conflict, type: .branchHasChildren, detail: error.description,
                extensions: [Problem.string("branch", stream.branch.name), ("children", list.bytes)])
        case .invariantBroken(let breach):
            self.init(
                .conflict, type: .invariantBroken, detail: error.description,
                extensions: [
                    Problem.string("invariant", breach.invariant), Problem.string("summary", breach.summary),
                    Problem.string("branch", breach.stream.branch.name), Problem.number("seq", breach.seq),
                    Problem.string("eventId", breach.eventID.description), Problem.string("eventType", breach.eventType),
                ])
        case .idempotencyKeyReused:
            self.init(
                .unprocessableContent, type: .idempotencyKeyReused, detail: error.description,
                extensions: [Problem.string("field", "Idempotency-Key")])
        case .consumerNotFound(let name):
            self.init(
                .notFound, type: .consumerNotFound, detail: error.description,
                extensions: [Problem.string("field", "name"), Problem.string("consumer", name)])
        case .parkedBatchNotFound(let sink, let position):
            self.init(
                .notFound, type: .parkedBatchNotFound, detail: error.description,
                extensions: [Problem.string("field", "position"), Problem.string("sink", sink), Problem.number("position", position)])
        case .positionPastHead(let field, _, let head):
            self.init(.conflict, type: .positionPastHead, detail: error.description, extensions: [Problem.string("field", field), Problem.number("head", head)])
        case .closed:
            self.init(.serviceUnavailable, type: .shuttingDown, detail: "retry against the restarted server", headers: [.retryAfter: "1"])
        case .dataFolderInUse, .dataFolderUnusable:
            self.init(.internalServerError, type: .dataFolder, detail: error.description)
        case .commandsOnly(let object, let commands):
            self.init(
                .conflict, type: .commandsOnly, detail: error.description,
                extensions: [Problem.string("object", object.description), Problem.string("commands", commands.joined(separator: ","))])
        case .objectErased(let object, let time):
            self.init(
                .gone, type: .objectErased, detail: error.description,
                extensions: [Problem.string("object", object.description), Problem.number("erasedAt", UInt64(max(0, time)))])
        case .sealingOff:
            self.init(.conflict, type: .sealingOff, detail: error.description, extensions: [Problem.string("field", "--master-key-file")])
        case .compacted(let horizon):
            self.init(
                .gone, type: .compacted, detail: error.description,
                extensions: [Problem.number("horizon", horizon.seq), Problem.number("horizonTime", UInt64(max(0, horizon.milliseconds)))])
        }
    }
}
