import EventModel
import LMDB

/// One row as read: its key and its JSON.
public struct RowEntry: Sendable, Equatable {
    /// The row's key.
    public let key: String
    /// The row as compact JSON.
    public let json: [UInt8]
}

/// A page of a keyed view's rows.
public struct RowPage: Sendable, Equatable {
    /// The object's version (seq) the rows reflect.
    public let version: Seq
    /// The rows, in key order.
    public let rows: [RowEntry]
    /// The key to read on after (`after=`), when the page is full; nil when it holds the last row.
    public let next: String?
}

/// How rows are written as JSON, for the server and `evtool` alike.
public enum RowJSON {
    /// `[{"key", "row"}, ...]`.
    public static func write(_ rows: [RowEntry], into writer: inout JSONWriter) {
        write(rows.map { ($0.key, $0.json, nil) }, into: &writer)
    }

    /// `[{"key", "row", "sortKey"?}, ...]`: a cross-object view's rows, with their places in its
    /// order when read in it.
    public static func write(_ rows: [(key: String, json: [UInt8], sortKey: Int64?)], into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        for (index, row) in rows.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"key\":")
            writer.string(row.key)
            writer.ascii(",\"row\":")
            writer.raw(row.json)
            if let sortKey = row.sortKey {
                writer.ascii(",\"sortKey\":")
                writer.integer(sortKey)
            }
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
    }
}

/// Reads the rows a query asks for from changes in memory over rows in storage, in key order.
enum RowPaging {
    /// The rows `query` matches, at most `query.limit` of them, and whether more may follow:
    /// `changes` (sorted by key; a removal hides the stored row) over `stored`.
    static func rows<Row>(
        _ query: RowQuery, changes: [(key: ByteKey, slot: RowSlot<Row>)], stored: StoredRows, encode: (Row) throws -> [UInt8],
        in transaction: some ReadableTransaction
    ) throws -> (rows: [RowEntry], next: String?) {
        if case .key(let key) = query.match {
            if let change = changes.first(where: { $0.key == ByteKey(key) }) {
                return (try change.slot.row.map { [RowEntry(key: key, json: try encode($0))] } ?? [], nil)
            }
            guard let json = try stored.version(of: key, in: transaction)?.json else { return ([], nil) }
            return ([RowEntry(key: key, json: json)], nil)
        }
        let prefix: String
        switch query.match {
        case .key: preconditionFailure("handled above")
        case .prefix(let matched): prefix = matched
        case .range(let matched, _, _): prefix = matched
        }
        let lowerBound = query.lowerBound
        var found: [RowEntry] = []
        var index = changes.firstIndex { !$0.key.string.utf8.lexicographicallyPrecedes(lowerBound.utf8) } ?? changes.endIndex
        var storedNext = try stored.neighbour(of: lowerBound, within: prefix, after: true, including: true, in: transaction)
        while found.count < query.limit {
            let change = index < changes.endIndex ? changes[index] : nil
            let storedKey = storedNext.map { ByteKey($0.key) }
            let takeChange: Bool
            switch (change, storedKey) {
            case (nil, nil): takeChange = false
            case (let change?, let storedKey?): takeChange = !storedKey.precedes(change.key)
            case (.some, nil): takeChange = true
            case (nil, .some): takeChange = false
            }
            if change == nil, storedKey == nil { break }
            let key: String
            var json: [UInt8]?
            if takeChange, let change {
                key = change.key.string
                json = try change.slot.row.map(encode)
                index += 1
                if storedKey == change.key { storedNext = try stored.neighbour(of: key, within: prefix, after: true, in: transaction) }
            } else if let current = storedNext {
                key = current.key
                json = current.json
                storedNext = try stored.neighbour(of: key, within: prefix, after: true, in: transaction)
            } else {
                break
            }
            guard query.matches(key) else {
                if query.canMatch(after: key) { continue } else { break }
            }
            if let json { found.append(RowEntry(key: key, json: json)) }
        }
        let more = found.count == query.limit
        return (found, more ? found.last?.key : nil)
    }
}
