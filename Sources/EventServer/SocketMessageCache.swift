import EventModel
import EventStore
import NIOCore
import Synchronization

/// The last `events` message of the WebSockets on each object branch (with the same views), so
/// that a commit is read and encoded once for all the sockets at the same version, not once per
/// socket: 500 sockets on one object share one read, one encoding and one frame's bytes.
///
/// It holds one message per object branch and views that has a socket open, and forgets it
/// when the last such socket leaves: its memory is bounded by the sockets', whatever the
/// commit rate.
final class SocketMessageCache: Sendable {
    /// What a message is shared between: the sockets of one object branch with the same views.
    struct Key: Hashable, Sendable {
        let stream: StreamName
        let views: [String]
    }

    /// One `events` message: the events after `after`, up to `version`.
    struct Message: Sendable {
        /// The version the events follow.
        let after: Seq
        /// The version after them.
        let version: Seq
        /// The log position and commit time (ms since the epoch) of the newest.
        let newestPosition: Position
        let newestMilliseconds: Int64
        /// Whether more events followed them when they were read (a page of a catch-up).
        let hasMore: Bool
        /// The message, as one text frame's payload.
        let payload: ByteBuffer
    }

    private struct Entry {
        var sockets = 0
        var message: Message?
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// An empty cache.
    init() {}

    /// A socket under `key` opened: its messages are kept while it is open.
    func join(_ key: Key) {
        entries.withLock { $0[key, default: Entry()].sockets += 1 }
    }

    /// A socket under `key` closed; the last one takes the key's message with it.
    func leave(_ key: Key) {
        entries.withLock { entries in
            guard let sockets = entries[key]?.sockets else { return }
            if sockets <= 1 { entries[key] = nil } else { entries[key]?.sockets = sockets - 1 }
        }
    }

    /// The message under `key` of the events after `version`, if a socket has read it.
    func message(_ key: Key, after version: Seq) -> Message? {
        entries.withLock { entries in
            guard let message = entries[key]?.message, message.after == version else { return nil }
            return message
        }
    }

    /// Keeps `message` for the other sockets under `key` (the newest read wins).
    func keep(_ message: Message, for key: Key) {
        entries.withLock { entries in
            guard entries[key] != nil else { return }
            if let kept = entries[key]?.message, kept.after > message.after { return }
            entries[key]?.message = message
        }
    }

    /// How many keys hold a socket (for tests: it must drop to 0 once they close).
    var keyCount: Int { entries.withLock { $0.count } }
}
