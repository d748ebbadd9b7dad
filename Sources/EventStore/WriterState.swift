import EventModel
import LMDB

/// The counters only the writer advances. They are read from storage when the writer starts
/// (and after a reopen) and replaced only when a transaction commits, so a failed transaction
/// leaves no trace in them.
struct WriterState {
    /// The position the next event gets.
    var nextPosition: Position
    /// The number the next new stream gets.
    var nextStream: UInt64
    /// The commit time of the last event: commit times never go backwards in the log.
    var lastTimeMilliseconds: Int64

    static func load(_ layout: StoreLayout, _ transaction: some ReadableTransaction) throws -> WriterState {
        var lastTime: Int64 = 0
        let lastPosition = try transaction.withCursor(layout.log) { cursor in
            guard let last = try cursor.last() else { return Position(0) }
            if last.value.count >= EventRecord.headerBytes {
                lastTime = Int64(littleEndian: last.value.loadUnaligned(fromByteOffset: 24, as: Int64.self))
            }
            return StoreKeys.integer(last.key)
        }
        let lastStream = try transaction.withCursor(layout.streams) { cursor in
            try cursor.last().map { StoreKeys.integer($0.key) } ?? 0
        }
        return WriterState(nextPosition: lastPosition + 1, nextStream: lastStream + 1, lastTimeMilliseconds: lastTime)
    }
}
