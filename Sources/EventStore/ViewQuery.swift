import EventModel

/// What a read of one object's view asks for, from the parameters of the read (the HTTP
/// route's query, `evtool view`'s options): the one place both parse them.
public enum ViewQuery: Sendable, Equatable {
    /// The state (a keyed view's summary).
    case state
    /// The part of the view an RFC 6901 JSON Pointer names: of the state, or with
    /// `/rows/KEY/...` of one row.
    case part(pointer: String)
    /// One row, by key.
    case row(key: String)
    /// A page of rows, in key order.
    case rows(RowQuery)
    /// The view's own read of these parameters (``ViewProjection/read(_:summary:rows:)``).
    case read([String: String])

    /// Rows per page when `limit` is not given.
    public static let rowsLimitDefault = 100
    /// The most rows a page holds.
    public static let rowsLimitMax = 1_000

    /// The query `parameters` make for `view`:
    /// - `pointer`: ``part(pointer:)``;
    /// - `key`: ``row(key:)``, alone (with no parameter of a page);
    /// - `prefix`, `from` (included), `to` (excluded), `limit` (``rowsLimitDefault``, at most
    ///   ``rowsLimitMax``), `after` (the `next` of the page before): ``rows(_:)``; `limit` or
    ///   `after` alone page through every row;
    /// - parameters the view reads itself (a building's `sensor`, `from`, `to`...): ``read(_:)``;
    /// - none: ``state``.
    /// - Throws: ``ViewQueryError`` naming the parameter: rows asked of a view that has none, a
    ///   `limit` out of range, `key` with a parameter of a page.
    public init(parameters: [String: String], view: AnyProjection) throws(ViewQueryError) {
        if let pointer = parameters["pointer"] {
            self = .part(pointer: pointer)
            return
        }
        let rangeFields = ["prefix", "from", "to", "limit", "after"].filter { parameters[$0] != nil }
        guard parameters["key"] != nil || parameters["prefix"] != nil || (!rangeFields.isEmpty && !view.hasRead(for: parameters)) else {
            self = parameters.isEmpty || !view.hasRead(for: parameters) ? .state : .read(parameters)
            return
        }
        guard view.isKeyed else {
            throw ViewQueryError(
                field: parameters["key"] != nil ? "key" : rangeFields[0],
                reason: "asks for rows, and the view \(view.name) has none; read its state, or a part of it with pointer")
        }
        if let key = parameters["key"] {
            guard rangeFields.isEmpty else { throw ViewQueryError(field: rangeFields[0], reason: "reads a range of rows, and key reads one; ask for one or the other") }
            self = .row(key: key)
            return
        }
        var limit = Self.rowsLimitDefault
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...Self.rowsLimitMax).contains(value) else {
                throw ViewQueryError(field: "limit", reason: "must be a whole number from 1 to \(Self.rowsLimitMax), got \"\(text)\"")
            }
            limit = value
        }
        let prefix = parameters["prefix"] ?? ""
        if parameters["from"] != nil || parameters["to"] != nil {
            self = .rows(RowQuery(.range(prefix: prefix, from: parameters["from"] ?? prefix, to: parameters["to"]), after: parameters["after"], limit: limit))
        } else {
            self = .rows(RowQuery(.prefix(prefix), after: parameters["after"], limit: limit))
        }
    }
}

/// A view read's parameter that cannot be taken, and why.
public struct ViewQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter (`limit`, `key`, `pointer`...).
    public let field: String
    /// What is wrong with it, as the rest of a sentence starting with the field.
    public let reason: String

    public var description: String { "\(field) \(reason)" }
}
