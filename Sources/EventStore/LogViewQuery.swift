import EventModel

/// What a read of a cross-object view asks for, from the parameters of the read (the HTTP
/// route's query, `evtool views`'s options): the one place both parse them.
public struct LogViewQuery: Sendable, Equatable {
    /// Which part of the view.
    public enum Read: Sendable, Equatable {
        /// The summary.
        case state
        /// Rows by key, prefix or range, in key order.
        case rows(RowQuery)
        /// Rows in the view's order (``LogProjection/sortKey(of:)``): ascending or descending
        /// sort key (ties by key), after a row of the page before, at most `limit`.
        case ordered(descending: Bool, after: LogViewOrderCursor?, limit: Int)
    }

    /// Which part of the view.
    public var read: Read
    /// The log position to read the view as of; nil: as far as it has folded.
    public var at: Position?

    /// The parameters a read takes.
    public static let parameters: Set<String> = ["key", "prefix", "from", "to", "limit", "after", "order", "at"]

    /// A query.
    public init(_ read: Read, at: Position? = nil) {
        self.read = read
        self.at = at
    }

    /// The query `parameters` make for `view`:
    /// - `key`: one row; `prefix`, `from` (included), `to` (excluded), `limit` (at most
    ///   ``ViewQuery/rowsLimitMax``), `after` (a page's `next`): rows in key order;
    /// - `order` (`asc` or `desc`) with `limit` and `after`: rows in the view's order;
    /// - `at`: as of that log position (not with `order`);
    /// - none: the summary.
    /// - Throws: ``ViewQueryError`` naming the parameter that cannot be taken.
    public init(parameters: [String: String], view: AnyLogProjection) throws(ViewQueryError) {
        if let text = parameters["at"] {
            guard let position = UInt64(text), position <= UInt64(Int64.max) else {
                throw ViewQueryError(field: "at", reason: "must be a log position, a whole number from 0 (before the first event), got \"\(text)\"")
            }
            at = position
        }
        let rowFields = ["key", "prefix", "from", "to", "limit", "after", "order"].filter { parameters[$0] != nil }
        guard let first = rowFields.first else {
            read = .state
            return
        }
        guard view.isKeyed else {
            throw ViewQueryError(field: first, reason: "asks for rows, and the view \(view.name) has none; read its state")
        }
        var limit = ViewQuery.rowsLimitDefault
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...ViewQuery.rowsLimitMax).contains(value) else {
                throw ViewQueryError(field: "limit", reason: "must be a whole number from 1 to \(ViewQuery.rowsLimitMax), got \"\(text)\"")
            }
            limit = value
        }
        if let order = parameters["order"] {
            guard order == "asc" || order == "desc" else { throw ViewQueryError(field: "order", reason: "must be asc or desc, got \"\(order)\"") }
            guard view.orderedBy != nil else {
                throw ViewQueryError(field: "order", reason: "asks for the rows in the view's order, and \(view.name) has none; read them in key order")
            }
            if let other = ["key", "prefix", "from", "to"].first(where: { parameters[$0] != nil }) {
                throw ViewQueryError(field: other, reason: "reads rows in key order, and order reads them in the view's order; ask for one or the other")
            }
            guard at == nil else {
                throw ViewQueryError(field: "at", reason: "reads the view as of a position, and order reads its current order; read rows by key, prefix or range as of a position")
            }
            var after: LogViewOrderCursor?
            if let text = parameters["after"] {
                guard let cursor = LogViewOrderCursor(text) else {
                    throw ViewQueryError(field: "after", reason: "must be the next of an ordered page (SORTKEY:KEY), got \"\(text)\"")
                }
                after = cursor
            }
            read = .ordered(descending: order == "desc", after: after, limit: limit)
            return
        }
        if let key = parameters["key"] {
            if let other = ["prefix", "from", "to", "limit", "after"].first(where: { parameters[$0] != nil }) {
                throw ViewQueryError(field: other, reason: "reads a range of rows, and key reads one; ask for one or the other")
            }
            read = .rows(RowQuery(.key(key)))
            return
        }
        let prefix = parameters["prefix"] ?? ""
        if parameters["from"] != nil || parameters["to"] != nil {
            read = .rows(RowQuery(.range(prefix: prefix, from: parameters["from"] ?? prefix, to: parameters["to"]), after: parameters["after"], limit: limit))
        } else {
            read = .rows(RowQuery(.prefix(prefix), after: parameters["after"], limit: limit))
        }
    }
}

/// Where an ordered read of a cross-object view's rows goes on from: the last row's sort key
/// and key, written `SORTKEY:KEY`.
public struct LogViewOrderCursor: Sendable, Equatable, CustomStringConvertible {
    /// The row's sort key.
    public let sortKey: Int64
    /// The row's key.
    public let key: String

    /// A cursor after the row `key` at `sortKey`.
    public init(sortKey: Int64, key: String) {
        self.sortKey = sortKey
        self.key = key
    }

    /// Parses `SORTKEY:KEY`; nil for anything else.
    public init?(_ text: String) {
        guard let colon = text.firstIndex(of: ":"), let sortKey = Int64(text[..<colon]) else { return nil }
        self.sortKey = sortKey
        key = String(text[text.index(after: colon)...])
    }

    public var description: String { "\(sortKey):\(key)" }
}
