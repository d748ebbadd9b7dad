import EventModel
import LMDB

/// A timer that is due.
public struct DueTimer: Sendable, Equatable {
    /// The object branch that set it.
    public let stream: StreamName
    /// Its id.
    public let timerId: String
    /// When it was due, ms since the epoch.
    public let dueAt: Int64
}

extension EventStore {
    /// The pending timers due at or before `now`, in due order (at most `limit`). Timers missed
    /// while the store was closed are due as soon as it opens again.
    public func dueTimers(now: Int64, limit: Int = 1_000) throws(EventStoreError) -> [DueTimer] {
        try read { transaction in
            var due: [DueTimer] = []
            try transaction.withCursor(layout.timers) { cursor in
                var entry = try cursor.first()
                while let current = entry, due.count < limit {
                    let dueAt = Int64(bitPattern: StoreKeys.integer(current.key))
                    guard dueAt <= now else { break }
                    let number = StoreKeys.integer(current.key, at: 8)
                    let timerId = String(decoding: current.key[16...], as: UTF8.self)
                    if let record = try StoreKeys.withKey(number, { try transaction.get(layout.streams, key: $0) }),
                        record.count > StreamRecord.headerBytes
                    {
                        let parts = StreamRecord.nameParts(record)
                        if let object = try? ObjectKey(storageName: parts.object),
                            let branch = try? BranchName(String(decoding: parts.branch, as: UTF8.self))
                        {
                            due.append(DueTimer(stream: StreamName(object: object, branch: branch), timerId: timerId, dueAt: dueAt))
                        }
                    }
                    entry = try cursor.next()
                }
            }
            return due
        }
    }

    /// Fires every timer due by the store's clock, in due order, each through its object's
    /// single writer; returns how many fired. A timer cancelled meanwhile does nothing.
    @discardableResult
    public func fireDueTimers() async throws(EventStoreError) -> Int {
        var fired = 0
        while true {
            let due = try dueTimers(now: clock.nowMilliseconds())
            if due.isEmpty { return fired }
            for timer in due {
                try await submit { .fireTimer(timer.stream, timerId: timer.timerId, $0) }
                fired += 1
            }
        }
    }
}
