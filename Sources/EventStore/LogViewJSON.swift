import EventModel

/// A cross-object view's summary as read: the position of the log it reflects and its state.
public struct LogViewRead: Sendable, Equatable {
    /// The view's version.
    public let version: Int
    /// The last log position folded into it.
    public let position: Position
    /// The state, compact JSON with sorted keys.
    public let state: [UInt8]

    /// `{"view", "version", "position", "lag", "state"}`, the lag against the log's `head`:
    /// over HTTP and from `evtool views` alike.
    public func json(name: String, head: Position) -> [UInt8] {
        var writer = JSONWriter(capacity: state.count + 96)
        LogViewPosition(view: name, version: version, position: position, lag: head - min(head, position)).writeMembers(into: &writer)
        writer.ascii(",\"state\":")
        writer.bytes.append(contentsOf: state)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}

/// A page of a cross-object view's rows as read: by key order, or by the view's order.
public struct LogViewRows: Sendable, Equatable {
    /// One row.
    public struct Row: Sendable, Equatable {
        /// Its key.
        public let key: String
        /// The row, compact JSON.
        public let json: [UInt8]
        /// Its sort key, in an ordered read.
        public let sortKey: Int64?
    }

    /// The view's version.
    public let version: Int
    /// The log position the rows reflect.
    public let position: Position
    /// The rows, in the order asked for.
    public let rows: [Row]
    /// What to pass as `after` to read on; nil after the last row.
    public let next: String?
    /// Whether the rows are in the view's order (else in key order).
    public let ordered: Bool

    init(version: Int, position: Position, rows: [Row], next: String?, ordered: Bool = false) {
        self.version = version
        self.position = position
        self.rows = rows
        self.next = next
        self.ordered = ordered
    }

    /// `{"view", "version", "position", "lag", "rows": [{"key", "row", "sortKey"?}], "next"}`,
    /// with `"orderedBy"` in an ordered read: over HTTP and from `evtool views` alike.
    public func json(name: String, head: Position, orderedBy: String?) -> [UInt8] {
        var writer = JSONWriter(capacity: 128 + rows.reduce(0) { $0 + $1.key.utf8.count + $1.json.count + 32 })
        LogViewPosition(view: name, version: version, position: position, lag: head - min(head, position)).writeMembers(into: &writer)
        if let orderedBy {
            writer.ascii(",\"orderedBy\":")
            writer.string(orderedBy)
        }
        writer.ascii(",\"rows\":")
        RowJSON.write(rows.map { ($0.key, $0.json, $0.sortKey) }, into: &writer)
        writer.ascii(",\"next\":")
        if let next { writer.string(next) } else { writer.ascii("null") }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }
}

/// Where a cross-object view is in the log.
public struct LogViewPosition: Sendable, Equatable {
    /// Its name.
    public let view: String
    /// Its version.
    public let version: Int
    /// The last log position folded into it.
    public let position: Position
    /// Positions committed and not folded yet.
    public let lag: UInt64

    /// Every view's position as `{"views": [{"view", "version", "position", "lag"}]}`.
    public static func json(_ positions: [LogViewPosition]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + positions.count * 80)
        writer.ascii("{\"views\":[")
        for (index, position) in positions.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            position.write(into: &writer)
        }
        writer.ascii("]}")
        return writer.bytes
    }

    /// As JSON: `{"view", "version", "position", "lag"}`.
    public func write(into writer: inout JSONWriter) {
        writeMembers(into: &writer)
        writer.byte(UInt8(ascii: "}"))
    }

    /// `{"view", "version", "position", "lag"`, left open for more members.
    func writeMembers(into writer: inout JSONWriter) {
        writer.ascii("{\"view\":")
        writer.string(view)
        writer.ascii(",\"version\":")
        writer.integer(version)
        writer.ascii(",\"position\":")
        writer.integer(position)
        writer.ascii(",\"lag\":")
        writer.integer(lag)
    }
}
