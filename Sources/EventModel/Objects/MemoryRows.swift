/// Rows held in memory only, in key order: what tests, tools and reference models fold keyed
/// views into, and what a view without rows never touches.
public final class MemoryRows<Row>: RowStorage, @unchecked Sendable {
    /// The rows by key (compared byte by byte, as storage compares them).
    public private(set) var rows: [ByteKey: Row] = [:]
    /// The keys, sorted byte by byte.
    private var keys: [String] = []
    /// The keys changed since ``takeChanged()`` was last called.
    private var changed: [String] = []

    /// No rows.
    public init() {}

    /// The rows given.
    public init(_ rows: [String: Row]) {
        for (key, row) in rows { self.rows[ByteKey(key)] = row }
        keys = self.rows.keys.map(\.string).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    public func row(_ key: String) -> Row? { rows[ByteKey(key)] }

    public func setRow(_ key: String, _ row: Row?, seq: Seq) {
        changed.append(key)
        let index = insertionIndex(of: key)
        let present = index < keys.count && keys[index].utf8.elementsEqual(key.utf8)
        if let row {
            if !present { keys.insert(key, at: index) }
            rows[ByteKey(key)] = row
        } else if present {
            keys.remove(at: index)
            rows[ByteKey(key)] = nil
        }
    }

    public func modifyRow(_ key: String, seq: Seq, _ body: (inout Row?) -> Void) {
        changed.append(key)
        var row = rows.removeValue(forKey: ByteKey(key))
        let present = row != nil
        body(&row)
        if let row {
            rows[ByteKey(key)] = row
            if !present { setRow(key, row, seq: seq) }
        } else if present {
            setRow(key, nil, seq: seq)
        }
    }

    public func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        var index = insertionIndex(of: key)
        if after {
            if index < keys.count, keys[index].utf8.elementsEqual(key.utf8) { index += 1 }
        } else {
            index -= 1
        }
        guard index >= 0, index < keys.count, keys[index].utf8.starts(with: prefix.utf8) else { return nil }
        return (keys[index], rows[ByteKey(keys[index])]!)
    }

    /// The keys changed since it was last called (each once, in the order first changed).
    public func takeChanged() -> [String] {
        var seen = Set<ByteKey>()
        defer { changed = [] }
        return changed.filter { seen.insert(ByteKey($0)).inserted }
    }

    /// The rows `query` asks for, in key order.
    public func rows(matching query: RowQuery) -> [(key: String, row: Row)] {
        var found: [(key: String, row: Row)] = []
        var index = insertionIndex(of: query.lowerBound)
        while index < keys.count, found.count < query.limit {
            let key = keys[index]
            if query.matches(key) {
                found.append((key, rows[ByteKey(key)]!))
            } else if !query.canMatch(after: key) {
                break
            }
            index += 1
        }
        return found
    }

    private func insertionIndex(of key: String) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle].utf8.lexicographicallyPrecedes(key.utf8) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
