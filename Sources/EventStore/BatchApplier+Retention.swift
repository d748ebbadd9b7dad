import EventModel
import LMDB

extension BatchApplier {
    /// Compacts `cut.stream` through `cut.horizon`: deletes its events up to the horizon (records,
    /// index runs, ids), its snapshots before it, and every row version before it that a later
    /// one up to it hides; records the horizon. Makes nothing (an empty pass) when the stream
    /// was deleted, its horizon moved, a branch of it forked below the new horizon, or a view
    /// lacks its snapshot there.
    mutating func compact(_ cut: RetentionCut) throws -> Result<RetentionPass, EventStoreError> {
        let seq = cut.horizon.seq
        guard try layout.streamNumber(cut.storageKey, in: transaction) == cut.stream,
            try layout.horizon(of: cut.stream, in: transaction)?.seq ?? 0 == cut.previous, seq > cut.previous,
            try layout.branches(of: cut.object, in: transaction).allSatisfy({ $0.parent != cut.stream || $0.forkSeq >= seq }),
            let head = try layout.lastRun(of: cut.stream, in: transaction)?.lastSeq, seq < head
        else { return .success(RetentionPass()) }
        for view in objectTypes[cut.object.type.name]?.views ?? [] {
            guard try layout.snapshot(of: view, stream: cut.stream, atMost: seq, in: transaction)?.seq == seq else { return .success(RetentionPass()) }
        }
        var pass = RetentionPass(streams: 1)
        pass.events = try deleteEvents(of: cut.stream, through: seq, tenant: cut.object.tenant)
        pass.checkpoints = try deleteSnapshots(of: cut.stream, before: seq) + deleteHiddenRows(of: cut.stream, through: seq)
        try StoreKeys.withKey(cut.stream) { key in try cut.horizon.stored.withUnsafeBytes { try transaction.put(layout.horizons, key: key, value: $0) } }
        return .success(pass)
    }

    /// Deletes the records, runs and ids of `stream`'s events through `seq`; a run that goes on
    /// past it is shortened. Returns how many were deleted.
    private func deleteEvents(of stream: UInt64, through seq: Seq, tenant: Tenant) throws -> UInt64 {
        var runs: [SeqRun] = []
        try transaction.withCursor(layout.seqs) { cursor in
            var entry = try StoreKeys.withKey(stream, 0) { try cursor.seek(atLeast: $0) }
            while let current = entry, StoreKeys.integer(current.key) == stream {
                let run = SeqRun(key: current.key, value: current.value)
                guard run.firstSeq <= seq else { break }
                runs.append(run)
                entry = try cursor.next()
            }
        }
        var deleted: UInt64 = 0
        for run in runs {
            let count = min(run.count, seq - run.firstSeq + 1)
            for position in run.firstPosition..<(run.firstPosition + count) {
                let id = try StoreKeys.withKey(position) { key in try transaction.get(layout.log, key: key).flatMap(EventRecord.id) }
                guard let id else { throw EventStoreError.corruptRecord(position: position, reason: "indexed event missing from the log") }
                _ = try StoreKeys.withIDKey(id, tenant: tenant) { try transaction.delete(layout.ids, key: $0) }
                _ = try StoreKeys.withKey(position) { try transaction.delete(layout.log, key: $0) }
            }
            _ = try StoreKeys.withKey(stream, run.firstSeq) { try transaction.delete(layout.seqs, key: $0) }
            if count < run.count {
                let rest = SeqRun(firstSeq: run.firstSeq + count, firstPosition: run.firstPosition + count, count: run.count - count)
                try StoreKeys.withKey(stream, rest.firstSeq) { key in try rest.withValue { try transaction.put(layout.seqs, key: key, value: $0) } }
            }
            deleted += count
        }
        return deleted
    }

    /// Deletes every snapshot of `stream` (any view, any version) before `seq`.
    private func deleteSnapshots(of stream: UInt64, before seq: Seq) throws -> UInt64 {
        var keys: [[UInt8]] = []
        try transaction.withCursor(layout.snapshots) { cursor in
            var entry = try StoreKeys.withKey(stream) { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.count > 16, StoreKeys.integer(current.key) == stream {
                if StoreKeys.integer(current.key, at: current.key.count - 8) < seq { keys.append(Array(current.key)) }
                entry = try cursor.next()
            }
        }
        for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.snapshots, key: $0) } }
        return UInt64(keys.count)
    }

    /// Deletes every row version of `stream` that a later version at or before `seq` hides (a
    /// read at or after the horizon never reaches it); the last one up to `seq` stays.
    private func deleteHiddenRows(of stream: UInt64, through seq: Seq) throws -> UInt64 {
        var keys: [[UInt8]] = []
        try transaction.withCursor(layout.rows) { cursor in
            var entry = try StoreKeys.withKey(stream) { try cursor.seek(atLeast: $0) }
            var previous: [UInt8]?
            while let current = entry, current.key.count > 16, StoreKeys.integer(current.key) == stream {
                let rowSeq = StoreKeys.integer(current.key, at: current.key.count - 8)
                if rowSeq <= seq {
                    // Keys sort by row, then by seq: the version before, of the same row, is hidden.
                    if let last = previous, last.count == current.key.count, last.prefix(last.count - 8).elementsEqual(current.key.prefix(current.key.count - 8)) {
                        keys.append(last)
                    }
                    previous = Array(current.key)
                } else {
                    previous = nil
                }
                entry = try cursor.next()
            }
        }
        for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.rows, key: $0) } }
        return UInt64(keys.count)
    }
}
