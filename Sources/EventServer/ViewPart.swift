import EventModel

/// One part of a view's state, named by an RFC 6901 JSON Pointer (`?pointer=` on view reads,
/// `"pointer"` in a WebSocket read), shared by the HTTP route and the WebSocket.
enum ViewPart {
    /// The part of a view's stored `state` (JSON) that `pointer` names.
    /// - Throws: 400 for text that is not a JSON Pointer, 404 `pointer-not-found` for a place
    ///   the state does not have; both with `field` `pointer`.
    static func value(in state: [UInt8], at pointer: String) throws -> JSONValue {
        try value(in: try state.withUnsafeBytes { try JSONValue(parsing: $0) }, at: pointer)
    }

    /// The part of `document` that `pointer` names, refused as for a stored state.
    static func value(in document: JSONValue, at pointer: String) throws -> JSONValue {
        do {
            return try JSONPatch.value(at: pointer, in: document)
        } catch {
            guard error.code == .pathNotFound else { throw Problem.invalidField("pointer", "is not an RFC 6901 JSON Pointer: \(error.reason)") }
            throw Problem(
                .notFound, type: "pointer-not-found", title: "The view has nothing there", detail: "\(pointer): \(error.reason)",
                extensions: [Problem.string("field", "pointer")])
        }
    }
}
