import EventModel
import LMDB

extension BatchApplier {
    /// A pending timer of `stream`: its due time and payload; nil when it is not pending
    /// (cancelled, fired, or never set).
    func pendingTimer(stream: UInt64, timerId: String) throws -> (dueAt: Int64, payload: JSONValue)? {
        guard let dueAt = try TimerKeys.withIDKey(stream: stream, timerId: timerId, { key in
            try transaction.get(layout.timerIDs, key: key).map { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        }) else { return nil }
        let payload = try TimerKeys.withDueKey(dueAt: dueAt, stream: stream, timerId: timerId) { key in
            try transaction.get(layout.timers, key: key).map { try JSONValue(parsing: $0) }
        }
        return (dueAt, payload ?? [:])
    }

    /// Keeps the pending timers in step with the timer events `request` appends.
    func recordTimers(_ request: AppendRequest, stream: UInt64) throws {
        for index in request.events.slots.indices {
            let isTimerEvent = request.events.withEvent(index) { type, _ in type.starts(with: "Timer".utf8) }
            guard isTimerEvent else { continue }
            let type = request.events.withEvent(index) { type, _ in String(decoding: type, as: UTF8.self) }
            let data =
                index < request.decided.count
                ? request.decided[index].data : index < request.dataValues.count ? request.dataValues[index] : try request.events.parsedData(index)
            guard let timerId = data["timerId"]?.stringValue else { continue }
            switch type {
            case TimerEventType.set:
                guard let dueAt = data["dueAt"]?.integerValue else { continue }
                try storeTimer(stream: stream, timerId: timerId, dueAt: Int64(dueAt), payload: data["payload"] ?? [:])
            case TimerEventType.cancelled, TimerEventType.fired:
                try removeTimer(stream: stream, timerId: timerId)
            default:
                continue
            }
        }
    }

    /// Makes `timerId` of `stream` pending, due at `dueAt`, replacing a pending one of that id.
    func storeTimer(stream: UInt64, timerId: String, dueAt: Int64, payload: JSONValue) throws {
        try removeTimer(stream: stream, timerId: timerId)
        var json = JSONWriter()
        json.value(payload)
        try TimerKeys.withDueKey(dueAt: dueAt, stream: stream, timerId: timerId) { key in
            try json.bytes.withUnsafeBytes { try transaction.put(layout.timers, key: key, value: $0) }
        }
        var due = dueAt.littleEndian
        try TimerKeys.withIDKey(stream: stream, timerId: timerId) { key in
            try withUnsafeBytes(of: &due) { try transaction.put(layout.timerIDs, key: key, value: $0) }
        }
    }

    func removeTimer(stream: UInt64, timerId: String) throws {
        guard let pending = try pendingTimer(stream: stream, timerId: timerId) else { return }
        _ = try TimerKeys.withDueKey(dueAt: pending.dueAt, stream: stream, timerId: timerId) { try transaction.delete(layout.timers, key: $0) }
        _ = try TimerKeys.withIDKey(stream: stream, timerId: timerId) { try transaction.delete(layout.timerIDs, key: $0) }
    }
}

/// Keys of the timer databases.
enum TimerKeys {
    /// `timers`: due time (8, BE) + stream (8, BE) + timer id, so a cursor meets timers in due order.
    static func withDueKey<R>(dueAt: Int64, stream: UInt64, timerId: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = withUnsafeBytes(of: UInt64(max(0, dueAt)).bigEndian) { Array($0) }
        withUnsafeBytes(of: stream.bigEndian) { key.append(contentsOf: $0) }
        key.append(contentsOf: timerId.utf8.prefix(400))
        return try key.withUnsafeBytes(body)
    }

    /// `timer-ids`: stream (8, BE) + timer id.
    static func withIDKey<R>(stream: UInt64, timerId: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var key = withUnsafeBytes(of: stream.bigEndian) { Array($0) }
        key.append(contentsOf: timerId.utf8.prefix(400))
        return try key.withUnsafeBytes(body)
    }
}
