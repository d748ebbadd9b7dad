import EventModel

/// A view read as answered, over HTTP and by `evtool view` alike: the object's version it
/// reflects and the answer's JSON, `{"view", "version", ...}` with
/// - `"state"` for ``ViewQuery/state``;
/// - `"pointer", "value"` for ``ViewQuery/part(pointer:)``;
/// - `"key", "row"` for ``ViewQuery/row(key:)``;
/// - `"rows": [{"key", "row"}], "next"` (the key to read on after; null on the last page) for
///   ``ViewQuery/rows(_:)``;
/// - the members of the view's own answer for ``ViewQuery/read(_:)``.
public struct ViewAnswer: Sendable, Equatable {
    /// The object's version (seq) the answer reflects.
    public let version: Seq
    /// The answer, compact JSON.
    public let json: [UInt8]
}

/// Why a view read has no answer.
public enum ViewAnswerError: Error, Sendable {
    /// A parameter that cannot be taken (also a `pointer` that is not an RFC 6901 pointer).
    case invalid(ViewQueryError)
    /// The object has no events on main, or the branch does not exist.
    case objectNotFound(StreamName)
    /// The keyed view has no row under the key.
    case rowNotFound(key: String, view: String, stream: StreamName)
    /// The pointer names a place the view does not have.
    case pointerNotFound(pointer: String, reason: String)
    /// The view's own read refused its parameters (its status says how: 404 for something it
    /// does not have, else 400).
    case refused(Rejection)
    /// The store could not read (a damaged record...).
    case store(EventStoreError)
}

extension ViewAnswerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalid(let invalid): invalid.description
        case .objectNotFound(let stream): stream.branch == .main ? "\(stream) has no events yet" : "\(stream.object) has no branch \(stream.branch)"
        case .rowNotFound(let key, let view, let stream): "the view \(view) of \(stream) has no row \(key)"
        case .pointerNotFound(let pointer, let reason): "\(pointer): \(reason)"
        case .refused(let rejection): "\(rejection.code): \(rejection.message)"
        case .store(let error): error.description
        }
    }
}

extension EventStore {
    /// The answer to `query` on `view` of `stream` at `point` (see ``ViewAnswer``).
    /// - Throws: ``ViewAnswerError``.
    public func answer(_ query: ViewQuery, of view: AnyProjection, for stream: StreamName, at point: HistoryPoint = .head) throws(ViewAnswerError)
        -> ViewAnswer
    {
        var writer = JSONWriter(capacity: 512)
        let version: Seq
        switch query {
        case .state:
            let read: ViewRead?
            do { read = try readView(view, of: stream, at: point) } catch { throw .store(error) }
            guard let read else { throw .objectNotFound(stream) }
            version = read.version
            Self.open(&writer, view.name, version)
            writer.ascii(",\"state\":")
            writer.raw(read.state)
        case .part(let pointer):
            let part = try viewPart(view, of: stream, pointer: pointer, at: point)
            version = part.version
            Self.open(&writer, view.name, version)
            writer.ascii(",\"pointer\":")
            writer.string(pointer)
            writer.ascii(",\"value\":")
            writer.value(part.value)
        case .row(let key):
            let page = try rows(view, of: stream, RowQuery(.key(key)), at: point)
            guard let row = page.rows.first else { throw .rowNotFound(key: key, view: view.name, stream: stream) }
            version = page.version
            Self.open(&writer, view.name, version)
            writer.ascii(",\"key\":")
            writer.string(key)
            writer.ascii(",\"row\":")
            writer.raw(row.json)
        case .rows(let rowQuery):
            let page = try rows(view, of: stream, rowQuery, at: point)
            version = page.version
            Self.open(&writer, view.name, version)
            writer.ascii(",\"rows\":")
            RowJSON.write(page.rows, into: &writer)
            writer.ascii(",\"next\":")
            if let next = page.next { writer.string(next) } else { writer.ascii("null") }
        case .read(let parameters):
            let read: ViewQueryRead?
            do { read = try readView(view, of: stream, parameters: parameters, at: point) } catch { throw .store(error) }
            guard let read else { throw .objectNotFound(stream) }
            let members: [String: JSONValue]
            switch read.answer {
            case .success(let value)?: members = value.objectValue ?? ["result": value]
            case .failure(let rejection)?: throw .refused(rejection)
            case nil: throw .invalid(ViewQueryError(field: parameters.keys.sorted().first ?? "", reason: "is not a parameter the view \(view.name) reads"))
            }
            version = read.version
            Self.open(&writer, view.name, version)
            for (member, value) in members.sorted(by: { $0.key < $1.key }) where member != "view" && member != "version" {
                writer.byte(UInt8(ascii: ","))
                writer.string(member)
                writer.byte(UInt8(ascii: ":"))
                writer.value(value)
            }
        }
        writer.byte(UInt8(ascii: "}"))
        return ViewAnswer(version: version, json: writer.bytes)
    }

    /// The part of `view` of `stream` at `point` that the RFC 6901 `pointer` names, and the
    /// version read: a part of the state (a keyed view's summary), or with `/rows/KEY/...` a
    /// part of one row. An object with no events on main is its views' initial states.
    /// - Throws: ``ViewAnswerError/invalid(_:)`` for text that is not a JSON Pointer (or
    ///   `/rows` without a key), ``ViewAnswerError/pointerNotFound(pointer:reason:)`` for a
    ///   place the view does not have.
    public func viewPart(_ view: AnyProjection, of stream: StreamName, pointer: String, at point: HistoryPoint = .head) throws(ViewAnswerError)
        -> (version: Seq, value: JSONValue)
    {
        let tokens: [String]
        do { tokens = try JSONPatch.tokens(of: pointer) } catch {
            throw .invalid(ViewQueryError(field: "pointer", reason: "is not an RFC 6901 JSON Pointer: \(error.reason)"))
        }
        if view.isKeyed, tokens.first == "rows" {
            guard tokens.count >= 2 else {
                throw .invalid(ViewQueryError(field: "pointer", reason: "names every row; rows are read one by one, /rows/KEY, or with prefix"))
            }
            let page = try rows(view, of: stream, RowQuery(.key(tokens[1])), at: point)
            guard let row = page.rows.first else { throw .pointerNotFound(pointer: pointer, reason: "no row \(tokens[1])") }
            return (page.version, try Self.value(in: try Self.parse(row.json), at: JSONPatch.pointer(of: Array(tokens.dropFirst(2))), whole: pointer))
        }
        let read: ViewRead?
        do { read = try readView(view, of: stream, at: point) } catch { throw .store(error) }
        guard let read else {
            guard stream.branch == .main else { throw .objectNotFound(stream) }
            let initial: MaterializedView
            do { initial = try view.materialize([]) } catch { throw .store(.corruptRecord(position: 0, reason: "the initial state does not encode: \(error)")) }
            return (0, try Self.value(in: initial.summary, at: pointer, whole: pointer))
        }
        return (read.version, try Self.value(in: try Self.parse(read.state), at: pointer, whole: pointer))
    }

    private func rows(_ view: AnyProjection, of stream: StreamName, _ query: RowQuery, at point: HistoryPoint) throws(ViewAnswerError) -> RowPage {
        let page: RowPage?
        do { page = try readRows(view, of: stream, query, at: point) } catch { throw .store(error) }
        guard let page else { throw .objectNotFound(stream) }
        return page
    }

    private static func open(_ writer: inout JSONWriter, _ name: String, _ version: Seq) {
        writer.ascii("{\"view\":")
        writer.string(name)
        writer.ascii(",\"version\":")
        writer.integer(version)
    }

    private static func parse(_ json: [UInt8]) throws(ViewAnswerError) -> JSONValue {
        do { return try json.withUnsafeBytes { bytes throws(JSONSyntaxError) in try JSONValue(parsing: bytes) } } catch {
            throw .store(.corruptRecord(position: 0, reason: "a stored view state is not JSON: \(error)"))
        }
    }

    private static func value(in document: JSONValue, at pointer: String, whole: String) throws(ViewAnswerError) -> JSONValue {
        do {
            return try JSONPatch.value(at: pointer, in: document)
        } catch {
            guard error.code == .pathNotFound else {
                throw .invalid(ViewQueryError(field: "pointer", reason: "is not an RFC 6901 JSON Pointer: \(error.reason)"))
            }
            throw .pointerNotFound(pointer: whole, reason: error.reason)
        }
    }
}
