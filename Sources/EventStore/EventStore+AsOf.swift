import EventModel

/// A point in an object's past.
public enum HistoryPoint: Sendable, Equatable {
    /// The head: every event.
    case head
    /// After the event with this seq (or the head, if it is further).
    case seq(Seq)
    /// After the last event committed at or before this time (ms since the epoch).
    case time(Int64)
}

extension EventStore {
    /// The last seq of `stream` at `point`: 0 when no event is that old, the head at most.
    /// Commit times never go backwards, so the events at or before a time are a prefix.
    public func seq(of stream: StreamName, at point: HistoryPoint) throws(EventStoreError) -> Seq {
        let head = try version(of: stream)
        switch point {
        case .head: return head
        case .seq(let seq): return min(seq, head)
        case .time(let milliseconds):
            var last: Seq = 0
            var done = false
            var next: Seq? = 1
            while let from = next, !done {
                let page = try readStream(stream, from: from, limit: 4_096) { event in
                    if event.timeMilliseconds <= milliseconds { last = event.seq } else { done = true }
                }
                next = page?.next
            }
            return last
        }
    }

    /// The state of `view` for `stream` as it was at `point`: the stored state at the head,
    /// otherwise the events up to that point folded from the start. Nil when the stream has no
    /// events at all; version 0 with the initial state when none is that old.
    public func readView(_ view: AnyProjection, of stream: StreamName, at point: HistoryPoint) throws(EventStoreError) -> ViewRead? {
        guard let current = try readView(view, of: stream) else { return nil }
        let target = try seq(of: stream, at: point)
        if target == current.version { return current }
        var events: [RecordedEvent] = []
        var failure: EventStoreError?
        if target > 0 {
            _ = try readStream(stream, from: 1, limit: Int(clamping: target)) { event in
                do { events.append(try RecordedEvent(event)) } catch { failure = .corruptRecord(position: event.position, reason: "data is not JSON") }
            }
        }
        if let failure { throw failure }
        var writer = JSONWriter()
        do { writer.value(try view.initial(events)) } catch {
            throw .invalidRequest(field: "view", reason: "the \(view.name) view cannot fold these events: \(error)")
        }
        return ViewRead(version: target, state: writer.bytes)
    }
}
