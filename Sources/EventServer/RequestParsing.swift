import EventModel
import EventStore
import Foundation
import HTTPTypes
import Hummingbird

/// Reading what a request says: path parameters (percent-decoded, then validated), query
/// parameters and headers. Every refusal is a ``Problem`` naming the field.
enum RequestParsing {
    /// The stream named by `/v1/objects/{type}/{id}` and `?branch=`, an object of the request's
    /// tenant.
    static func stream(_ request: Request, _ context: some TenantRequestContext) throws -> StreamName {
        try stream(request, context, tenant: context.tenant)
    }

    /// The stream named by `/v1/objects/{type}/{id}` and `?branch=`, an object of `tenant`.
    static func stream(_ request: Request, _ context: some RequestContext, tenant: Tenant) throws -> StreamName {
        // Hummingbird hands path parameters over still percent-encoded.
        let type = try decodedParameter("type", context)
        let id = try decodedParameter("id", context)
        do throws(NameError) {
            let object = ObjectKey(type: try ObjectType(type), id: try ObjectID(id), tenant: tenant)
            var branch = BranchName.main
            if let name = request.uri.queryParameters.get("branch") { branch = try BranchName(String(name)) }
            return StreamName(object: object, branch: branch)
        } catch {
            throw Problem.invalidName(error)
        }
    }

    /// Where a Server-Sent Events stream resumes: the `Last-Event-ID` a reconnecting client
    /// sends (the `unit` of the last event it received: a position, or a seq), else `?after=`
    /// when `takesAfter` (`fallback` when neither is given).
    static func resumePoint(_ request: Request, unit: String, takesAfter: Bool = true, default fallback: UInt64? = 0) throws -> UInt64? {
        // Checked even when Last-Event-ID wins, so a wrong one is never silently ignored.
        let after = takesAfter && request.uri.queryParameters.get("after") != nil ? UInt64(try integer("after", request, default: 0, range: 0...Int64.max)) : nil
        if let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let resumed = LastEventID.parse(lastEventID) else {
                throw Problem.invalidField("Last-Event-ID", "must be the \(unit) of the last event received")
            }
            return resumed
        }
        return after ?? fallback
    }

    /// The object type named by `/v1/objects/{type}`.
    static func objectType(_ context: some RequestContext) throws -> ObjectType {
        let type = try decodedParameter("type", context)
        do throws(NameError) { return try ObjectType(type) } catch { throw Problem.invalidName(error) }
    }

    private static func decodedParameter(_ name: String, _ context: some RequestContext) throws -> String {
        guard let raw = context.parameters.get(name) else { throw Problem.invalidField(name, "is missing") }
        guard let decoded = raw.removingPercentEncoding else {
            throw Problem(
                .badRequest, type: .invalidObjectKey, detail: "\(name) has an invalid percent-encoding", extensions: [Problem.string("field", name)])
        }
        return decoded
    }

    /// How much a command's answer should carry.
    enum Representation {
        /// Events and version only (the default).
        case minimal
        /// The state too, asked for with `Prefer: return=representation` (RFC 7240): the
        /// answer says `Preference-Applied`.
        case preferred
        /// The state too, asked for with `?include=state`.
        case included
    }

    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// The metadata a command's events are stored with: a JSON object.
    static let eventMetadata = HTTPField.Name("Event-Metadata")!
    /// The longest `Event-Metadata`, in bytes.
    static let eventMetadataBytesMax = 4_096
    /// Says an answer is the remembered one of an earlier request with the same key.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    /// The request's `Idempotency-Key` (the IETF httpapi draft; the value may be quoted as a
    /// structured-field string), fingerprinted with `parts`; nil without the header.
    static func idempotencyKey(_ request: Request, parts: [[UInt8]]) throws -> IdempotencyKey? {
        guard var value = request.headers[idempotencyKey] else { return nil }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        do { return try IdempotencyKey(value, request: parts) } catch { throw Problem(error) }
    }

    /// The `Event-Metadata` header's JSON object (empty without one).
    /// - Throws: a 400 naming the header when it is not a JSON object or is too long.
    static func eventMetadata(_ request: Request) throws -> [String: JSONValue] {
        guard let text = request.headers[eventMetadata] else { return [:] }
        guard text.utf8.count <= eventMetadataBytesMax else {
            throw Problem.invalidField("Event-Metadata", "is \(text.utf8.count) bytes, more than \(eventMetadataBytesMax)")
        }
        guard case .object(let members)? = try? Array(text.utf8).withUnsafeBytes({ try JSONValue(parsing: $0) }) else {
            throw Problem.invalidField("Event-Metadata", "must be a JSON object, such as {\"customer\": \"c-1\"}")
        }
        return members
    }

    /// What `?include=` (a comma-separated list; `state` is the one member there is) and the
    /// `Prefer` header ask a command's answer to carry.
    static func representation(_ request: Request) throws -> Representation {
        if let include = request.uri.queryParameters.get("include") {
            let members = include.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let unknown = members.first(where: { $0 != "state" }) else { return .included }
            throw Problem.invalidField("include", "may only list state, got \"\(unknown)\"")
        }
        // Prefer is a list of preferences (RFC 7240 section 2); an unknown one is ignored.
        let preferences = request.headers[values: prefer].flatMap { $0.split(separator: ",") }
            .map { $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "" }
        return preferences.contains("return=representation") ? .preferred : .minimal
    }

    /// An integer query parameter within `range`, or `defaultValue` when absent.
    static func integer(_ name: String, _ request: Request, default defaultValue: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = request.uri.queryParameters.get(name) else { return defaultValue }
        guard let value = Int64(text), range.contains(value) else {
            throw Problem.invalidField(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// The point in the past `?at=SEQ` or `?asOf=TIME` (RFC 3339 or epoch ms) asks for; `.head`
    /// when neither is given.
    static func historyPoint(_ request: Request) throws -> HistoryPoint {
        let at = request.uri.queryParameters.get("at")
        let asOf = request.uri.queryParameters.get("asOf")
        // Each is well formed; together they ask for two points: 422, as for any request whose
        // parts conflict (a 400 says a part itself is malformed).
        if at != nil && asOf != nil {
            throw Problem(
                .unprocessableContent, type: .invalidRequest, detail: "asOf cannot be combined with at; ask for one point",
                extensions: [Problem.string("field", "asOf")])
        }
        if at != nil { return .seq(UInt64(try integer("at", request, default: 0, range: 0...Int64.max))) }
        guard let asOf else { return .head }
        if let milliseconds = Int64(asOf), milliseconds >= 0 { return .time(milliseconds) }
        guard let milliseconds = RFC3339.milliseconds(parsing: String(asOf)) else {
            throw Problem.invalidField("asOf", "must be an RFC 3339 time (2026-11-23T10:00:00Z) or milliseconds since the epoch, got \"\(asOf)\"")
        }
        return .time(milliseconds)
    }

    /// Refuses a body that is not declared as JSON (415).
    static func requireJSON(_ request: Request) throws {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw Problem(
                .unsupportedMediaType, type: .unsupportedMediaType, detail: contentType.isEmpty
                    ? "send Content-Type: application/json" : "Content-Type is \(contentType); send application/json",
                extensions: [Problem.string("field", "Content-Type")])
        }
    }

    /// The request's body as a JSON object whose members are all among `members`; an unknown
    /// member, a body that is not a JSON object or a non-JSON content type is refused naming it.
    static func jsonObject(_ request: Request, store: EventStore, members: Set<String>) async throws -> [String: JSONValue] {
        try requireJSON(request)
        let body = try await request.body.collect(upTo: store.configuration.limits.requestBytesMax)
        let value: JSONValue
        do {
            value = try body.withUnsafeReadableBytes { bytes throws(JSONSyntaxError) in try JSONValue(parsing: bytes) }
        } catch {
            throw Problem(AppendRequestError.malformedJSON(error))
        }
        guard case .object(let object) = value else { throw Problem.invalidField("/", "must be a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !members.contains($0) }) {
            throw Problem.invalidField("/\(unknown)", "is not a member this request takes; it takes \(members.sorted().joined(separator: ", "))")
        }
        return object
    }

    /// The version `If-Match` asks the object to be at: one entity tag, `"N"` (or weak,
    /// `W/"N"`), as answers send it; nil without the header or for `*` (any version). Any other
    /// value names no version this server ever tags, so, as RFC 9110 says of a tag that does not
    /// match, 412 `precondition-failed` (`field`: `If-Match`).
    static func ifMatchVersion(_ request: Request) throws -> UInt64? {
        guard let value = request.headers[.ifMatch] else { return nil }
        var tag = Substring(value.trimmingCharacters(in: .whitespaces))
        if tag == "*" { return nil }
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        let digits = tag.utf8.dropFirst().dropLast()
        guard tag.utf8.count >= 3, tag.first == "\"", tag.last == "\"", digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let version = UInt64(tag.dropFirst().dropLast())
        else {
            throw Problem(
                .preconditionFailed, type: .preconditionFailed,
                detail: "If-Match \(value) names no version of the object; send the ETag of an earlier answer, quoted, e.g. \"3\"",
                extensions: [Problem.string("field", "If-Match")])
        }
        return version
    }
}
