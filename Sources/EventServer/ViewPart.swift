import EventModel
import EventStore

/// One part of a view, named by an RFC 6901 JSON Pointer (`?pointer=` on view reads,
/// `"pointer"` in a WebSocket read), shared by the HTTP route and the WebSocket: a part of the
/// state (a keyed view's summary), or, with `/rows/KEY/...`, a part of one of its rows.
enum ViewPart {
    /// The part of `view` of `stream` at `point` that `pointer` names, and the version read.
    /// - Throws: 400 for text that is not a JSON Pointer (or `/rows` without a key), 404
    ///   `pointer-not-found` for a place the view does not have (a row it does not have
    ///   included), both with `field` `pointer`; the store's errors as problems.
    static func read(store: EventStore, view: AnyProjection, stream: StreamName, pointer: String, at point: HistoryPoint) throws -> (version: Seq, value: JSONValue) {
        let tokens: [String]
        do { tokens = try JSONPatch.tokens(of: pointer) } catch { throw Problem.invalidField("pointer", "is not an RFC 6901 JSON Pointer: \(error.reason)") }
        if view.isKeyed, tokens.first == "rows" {
            guard tokens.count >= 2 else { throw Problem.invalidField("pointer", "names every row; rows are read one by one, /rows/KEY, or with ?prefix=") }
            let page: RowPage?
            do { page = try store.readRows(view, of: stream, RowQuery(.key(tokens[1])), at: point) } catch { throw Problem(error) }
            guard let row = page?.rows.first, let page else { throw notFound(pointer, "no row \(tokens[1])") }
            let rest = JSONPatch.pointer(of: Array(tokens.dropFirst(2)))
            return (page.version, try value(in: try row.json.withUnsafeBytes { try JSONValue(parsing: $0) }, at: rest, whole: pointer))
        }
        let read: ViewRead?
        do { read = try store.readView(view, of: stream, at: point) } catch { throw Problem(error) }
        guard let read else {
            // An object with no events is its views' initial states.
            guard stream.branch == .main else { throw Problem.objectNotFound(stream) }
            return (0, try value(in: try view.materialize([]).summary, at: pointer))
        }
        return (read.version, try value(in: try read.state.withUnsafeBytes { try JSONValue(parsing: $0) }, at: pointer, whole: pointer))
    }

    /// The part of `document` that `pointer` names, refused as for a stored state.
    static func value(in document: JSONValue, at pointer: String, whole: String? = nil) throws -> JSONValue {
        do {
            return try JSONPatch.value(at: pointer, in: document)
        } catch {
            guard error.code == .pathNotFound else { throw Problem.invalidField("pointer", "is not an RFC 6901 JSON Pointer: \(error.reason)") }
            throw notFound(whole ?? pointer, error.reason)
        }
    }

    private static func notFound(_ pointer: String, _ reason: String) -> Problem {
        Problem(
            .notFound, type: "pointer-not-found", title: "The view has nothing there", detail: "\(pointer): \(reason)",
            extensions: [Problem.string("field", "pointer")])
    }
}
