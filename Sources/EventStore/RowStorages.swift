import EventModel
import LMDB

/// The transaction row lookups read storage through, and the first error one met: reducers
/// cannot throw, so a lookup that fails answers nil, records the error here, and whoever drove
/// the fold throws it (and discards what was folded).
final class RowReadContext: @unchecked Sendable {
    /// The transaction lookups use; nil outside a batch (the writer) or a read (a reader).
    var transaction: (any ReadableTransaction)?
    /// The first error a lookup met since it was last cleared.
    var failure: (any Error)?

    init(_ transaction: (any ReadableTransaction)? = nil) { self.transaction = transaction }

    /// Throws the recorded failure, if any, and clears it.
    func check() throws {
        guard let failure else { return }
        self.failure = nil
        throw failure
    }
}

/// A keyed view's rows in storage as of a checkpoint, typed: read-only.
final class StoredRowStorage<Row: Codable & Sendable>: RowStorage, @unchecked Sendable {
    let rows: StoredRows
    let context: RowReadContext

    init(_ rows: StoredRows, context: RowReadContext) {
        self.rows = rows
        self.context = context
    }

    func row(_ key: String) -> Row? {
        guard let transaction = context.transaction else { return fail(EventStoreError.closed) }
        do {
            guard let json = try rows.version(of: key, in: transaction)?.json else { return nil }
            return try Self.decode(json)
        } catch {
            return fail(error)
        }
    }

    func setRow(_ key: String, _ row: Row?, seq: Seq) {
        preconditionFailure("stored rows change through a layer above them")
    }

    func neighbour(of key: String, within prefix: String, after: Bool) -> (key: String, row: Row)? {
        guard let transaction = context.transaction else { return fail(EventStoreError.closed) }
        do {
            guard let found = try rows.neighbour(of: key, within: prefix, after: after, in: transaction) else { return nil }
            return (found.key, try Self.decode(found.json))
        } catch {
            return fail(error)
        }
    }

    /// `json` as a row.
    static func decode(_ json: [UInt8]) throws -> Row {
        let tree = try json.withUnsafeBytes { try JSONValue(parsing: $0) }
        return try JSONValueDecoder().decode(Row.self, from: tree)
    }

    private func fail<T>(_ error: any Error) -> T? {
        if context.failure == nil { context.failure = error }
        return nil
    }
}
