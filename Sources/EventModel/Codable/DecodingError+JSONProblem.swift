extension DecodingError {
    /// Where the error is and what is wrong, for a client: `pointer` is the RFC 6901 JSON
    /// Pointer of the value at fault (`/lines/0/qty`, or `""` for the whole value) and `message`
    /// says what was expected and found (`expected an integer, found 1.5`), without the place.
    ///
    /// For `keyNotFound` the pointer names the missing member itself (`/qty`), which is where
    /// a client has to add something. Errors a type's own `init(from:)` throws are rendered the
    /// same way, from the coding path and description it gave them.
    public var jsonProblem: (pointer: String, message: String) {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (jsonPointer(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            (jsonPointer(context.codingPath + [key]), context.debugDescription)
        @unknown default:
            ("", "\(self)")
        }
    }
}
