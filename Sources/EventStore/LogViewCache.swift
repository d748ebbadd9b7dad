import EventModel
import Foundation
import Synchronization

/// The cross-object views' typed states between catch-ups: each folded on from where the last
/// catch-up left it, written to storage (state and position in one transaction) at most once per
/// interval, and read by ``EventStore/readLogView(_:)`` ahead of storage.
///
/// Without it every catch-up would decode the stored state, fold a few events and encode it
/// again: a cost that grows with the state paid on every commit. Rows changed since the last
/// write stay here too (read ahead of storage), the others are read from storage.
final class LogViewCache: @unchecked Sendable {
    /// One view's state in memory.
    final class Entry {
        /// The typed state, folded through ``position``.
        let state: LogViewState
        /// The transaction its rows below read through while it folds.
        let context: RowReadContext
        /// The last log position folded in.
        var position: Position
        /// The position of the state in storage this one was read from or last written as.
        var storedPosition: Position
        /// When it was last written (or read from storage).
        var storedAt: ContinuousClock.Instant
        /// The write in flight, if any: its id, the position it stores, and the task that waits
        /// for it (nil for the moment between the freeze and the task's start).
        var writing: (id: UInt64, through: Position, task: Task<EventStoreError?, Never>?)?

        init(state: LogViewState, context: RowReadContext, position: Position) {
            self.state = state
            self.context = context
            self.position = position
            storedPosition = position
            storedAt = .now
        }
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Writes numbered so far (its own atomic: numbers are taken with an entry's lock held).
    private let writeCount = Atomic<UInt64>(0)
    /// A write's failure since the fold last said one (writes end off the fold).
    private var writeFailure: EventStoreError?
    /// Streams' objects and branches, as the catch-ups have read them (nil: a name that does not
    /// parse): a stream's name never changes (a deleted branch's reads as the branch it was),
    /// so the fold reads each one from storage once, not once per scan.
    private var streamNames: [UInt64: (object: ObjectKey, branch: BranchName)?] = [:]
    /// The most stream names kept; past it they are forgotten and read again as needed.
    static let streamNamesMax = 262_144

    /// Runs `body` with the stream names read so far (the cache unlocked meanwhile: one catch-up
    /// at a time uses them; another caller gets none and keeps its own).
    func withStreamNames<R>(_ body: (inout [UInt64: (object: ObjectKey, branch: BranchName)?]) throws -> R) rethrows -> R {
        var names = lock.withLock { () -> [UInt64: (object: ObjectKey, branch: BranchName)?] in
            defer { streamNames = [:] }
            return streamNames
        }
        defer {
            if names.count > Self.streamNamesMax { names = [:] }
            lock.withLock { if streamNames.count < names.count { streamNames = names } }
        }
        return try body(&names)
    }

    /// Views being reset (how many resets of each are under way): a write of theirs that fails
    /// meanwhile fails because of the reset, which is no failure to report.
    private var resetting: [String: Int] = [:]

    /// A reset of `name` starts.
    func beginReset(_ name: String) { lock.withLock { resetting[name, default: 0] += 1 } }

    /// A reset of `name` is over: the entry is forgotten (the view folds again from storage).
    func endReset(_ name: String) {
        lock.withLock {
            entries[name] = nil
            resetting[name] = (resetting[name] ?? 1) > 1 ? resetting[name]! - 1 : nil
        }
    }

    /// Whether a reset of `name` is under way.
    func isResetting(_ name: String) -> Bool { lock.withLock { resetting[name] != nil } }

    /// A number no other write of this process has.
    func nextWriteID() -> UInt64 { writeCount.wrappingAdd(1, ordering: .relaxed).newValue }

    /// Keeps a write's failure for the next fold to throw (the first since it last did).
    func recordWriteFailure(_ error: EventStoreError) { lock.withLock { if writeFailure == nil { writeFailure = error } } }

    /// The write failure kept, if any, forgotten.
    func takeWriteFailure() -> EventStoreError? { lock.withLock { defer { writeFailure = nil }; return writeFailure } }

    /// Runs `body` with the entry of `name` (nil when there is none), the cache locked.
    func with<R>(_ name: String, _ body: (inout Entry?) throws -> R) rethrows -> R {
        try lock.withLock { try body(&entries[name]) }
    }
}
