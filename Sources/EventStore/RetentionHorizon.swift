import EventModel
import LMDB

/// Where a line of history begins after retention compacted it: the events up to `seq` are
/// gone (their views' states at `seq` are kept as snapshots), the events after it are whole.
public struct RetentionHorizon: Sendable, Equatable {
    /// The last seq compacted; reads and forks at or after it work, before it they are refused.
    public let seq: Seq
    /// The commit time of the event at `seq`, ms: as-of reads at or after it work.
    public let milliseconds: Int64

    /// A horizon at `seq`, whose event was committed at `milliseconds`.
    public init(seq: Seq, milliseconds: Int64) {
        self.seq = seq
        self.milliseconds = milliseconds
    }

    /// Its stored value in `horizons`: seq (8) + time (8), little-endian.
    var stored: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: seq.littleEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: milliseconds.littleEndian, toByteOffset: 8, as: Int64.self)
        }
        return bytes
    }

    /// Reads a stored value; nil when it is not one.
    init?(stored value: UnsafeRawBufferPointer) {
        guard value.count == 16 else { return nil }
        seq = UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
        milliseconds = Int64(littleEndian: value.loadUnaligned(fromByteOffset: 8, as: Int64.self))
    }
}

extension StoreLayout {
    /// The horizon of `stream`'s own events, if retention compacted some.
    func horizon(of stream: UInt64, in transaction: some ReadableTransaction) throws -> RetentionHorizon? {
        try StoreKeys.withKey(stream) { key in
            guard let value = try transaction.get(horizons, key: key) else { return nil }
            guard let horizon = RetentionHorizon(stored: value) else {
                throw EventStoreError.corruptRecord(position: 0, reason: "the retention horizon of stream \(stream) is damaged")
            }
            return horizon
        }
    }
}
