import EventModel
import EventStore
import NIOCore
import NIOWebSocket
import Synchronization

/// The WebSockets of the server by object branch (and views): a commit is read and encoded
/// once for all the sockets of its object branch, and written by one task to every socket
/// already caught up with it, on each event loop in one pass.
///
/// A socket is served by its own task until it has caught up (its snapshot, a catch-up, any
/// page read after a stall); it then asks to be *held* (``hold(_:at:)``): from then on, while
/// its object branch has more than one socket, the group's follower writes each new message
/// straight to its connection, its task waits (muted in the ``LogStreamHub``, woken by no
/// commit) and the commit costs it no wake-up, no lookup and no hop. A held socket is *let
/// go* back to its task (``Member/state``, its subscriber signalled) when a message would not
/// follow the last one it got, when its connection cannot take a write at once (its task
/// writes with the stall timeout), and when the follower cannot read; its task then reads
/// from the version it got to. Every hold, every let-go and every write of the follower runs on
/// the socket's event loop, after the writes queued before it, and a message is written only
/// to a socket held at the version it follows: a socket gets its messages once each, in order,
/// whoever writes them.
///
/// The last message of each group is also kept for the sockets catching up (one read and one
/// encoding per commit for all of them). A group and its follower go with the group's last
/// socket: the memory is bounded by the sockets', whatever the commit rate.
final class SocketFanout: Sendable {
    /// What a group shares: the sockets of one object branch with the same views.
    struct Key: Hashable, Sendable {
        let stream: StreamName
        let views: [String]
    }

    /// One socket: its connection, the subscriber its task waits on, and whether its messages
    /// are written by the group's follower (held) or by its task.
    final class Member: Sendable {
        /// Where a member stands, as its task sees it.
        enum State {
            /// The follower writes its messages; its task waits.
            case held
            /// Its task writes its messages; `resumeAt` is the version the follower got it to,
            /// once, after it was let go.
            case free(resumeAt: Seq?)
        }

        private struct Seat {
            var held = false
            /// The version of the last message it got (while held).
            var version: Seq = 0
            /// It was let go since its task last looked.
            var letGo = false
        }

        let channel: any Channel
        let subscriber: Subscriber
        private let seat = Mutex(Seat())
        /// Where the fan-out writes its frames' bytes (on the loop): below the frame encoder.
        private let encoder: NIOLoopBoundBox<ChannelHandlerContext?>

        /// A member for the socket on `channel`, whose task waits on `subscriber`.
        init(channel: any Channel, subscriber: Subscriber) {
            self.channel = channel
            self.subscriber = subscriber
            encoder = .makeEmptyBox(valueType: ChannelHandlerContext.self, eventLoop: channel.eventLoop)
        }

        /// Writes a whole text frame's bytes (``SocketFanout/frame(_:)``) to the connection, on
        /// its loop; false if its pipeline has no WebSocket frame encoder (it is closing).
        fileprivate func writeFrame(_ bytes: ByteBuffer) -> Bool {
            if encoder.value == nil { encoder.value = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self) }
            guard let context = encoder.value else { return false }
            context.writeAndFlush(NIOAny(bytes), promise: nil)
            return true
        }

        /// Whether it is held, or else the version it was let go at (reported once).
        var state: State {
            seat.withLock { seat in
                if seat.held { return .held }
                defer { seat.letGo = false }
                return .free(resumeAt: seat.letGo ? seat.version : nil)
            }
        }

        /// Holds it at `version` (on its loop, after its task's writes).
        fileprivate func hold(at version: Seq) {
            seat.withLock { $0 = Seat(held: true, version: version, letGo: false) }
        }

        /// Lets it go, for good when `release` (its task takes it back), else to be resumed
        /// where the follower got it, or at `version`: the message after it was not written.
        /// Returns whether it was held.
        fileprivate func letGo(release: Bool, at version: Seq? = nil) -> Bool {
            seat.withLock { seat in
                guard seat.held else { return false }
                seat.held = false
                seat.letGo = !release
                if let version { seat.version = version }
                return true
            }
        }

        /// What a message after `after` up to `version` is to it (on its loop).
        fileprivate func take(after: Seq, version: Seq) -> Delivery {
            seat.withLock { seat in
                guard seat.held else { return .skip }
                if seat.version == after {
                    seat.version = version
                    return .write
                }
                return seat.version >= version ? .skip : .gap
            }
        }
    }

    /// What the follower does with a message for one member.
    fileprivate enum Delivery {
        /// It follows the member's last one: write it.
        case write
        /// The member is not held, or already has it.
        case skip
        /// It does not follow the member's last one: let the member go.
        case gap
    }

    private struct Group {
        var members: [ObjectIdentifier: Member] = [:]
        /// The last message read (by the follower or a socket), for the sockets at its version.
        var message: SocketMessage?
        /// The follower writing the group's messages to its held sockets, from its second
        /// socket on (nil once it has ended), and its task once started.
        var follower: Follower?
        var followerTask: Task<Void, Never>?
    }

    /// Who a group's follower is: a follower that ended clears only its own entry.
    private final class Follower: Sendable {}

    /// From how many sockets a group has a follower: one socket is served as well by its task.
    static let followedFrom = 2

    private let groups = Mutex<[Key: Group]>([:])
    private let hub: LogStreamHub
    private let metrics: ServerMetrics

    /// No group yet; followers subscribe to `hub`'s commits and record each write in `metrics`.
    init(hub: LogStreamHub, metrics: ServerMetrics) {
        self.hub = hub
        self.metrics = metrics
    }

    /// A socket under `key` opened, reading through `reader`: its group's messages are kept
    /// (and followed, from its second socket) while it is open.
    func join(_ key: Key, _ member: Member, reader: SocketMessageReader) {
        let follower = Follower()
        let starts = groups.withLock { groups -> Bool in
            groups[key, default: Group()].members[ObjectIdentifier(member)] = member
            guard groups[key]?.follower == nil, (groups[key]?.members.count ?? 0) >= Self.followedFrom else { return false }
            groups[key]?.follower = follower
            return true
        }
        guard starts else { return }
        let task = Task.detached { [self] in await follow(key, reader: reader, as: follower) }
        let kept = groups.withLock { groups -> Bool in
            guard groups[key]?.follower === follower else { return false }
            groups[key]?.followerTask = task
            return true
        }
        // The group went (its sockets left) or the follower has ended already.
        if !kept { task.cancel() }
    }

    /// A socket under `key` closed; the last one takes the group (its message and follower).
    func leave(_ key: Key, _ member: Member) {
        _ = member.letGo(release: true)
        let follower = groups.withLock { groups -> Task<Void, Never>? in
            groups[key]?.members[ObjectIdentifier(member)] = nil
            guard groups[key]?.members.isEmpty == true else { return nil }
            defer { groups[key] = nil }
            return groups[key]?.followerTask
        }
        follower?.cancel()
    }

    /// The message under `key` of the events after `version`, if one was read.
    func message(_ key: Key, after version: Seq) -> SocketMessage? {
        groups.withLock { groups in
            guard let message = groups[key]?.message, message.after == version else { return nil }
            return message
        }
    }

    /// Keeps `message` for the other sockets under `key` (the newest read wins).
    func keep(_ message: SocketMessage, for key: Key) {
        groups.withLock { groups in
            guard groups[key] != nil else { return }
            if let kept = groups[key]?.message, kept.after > message.after { return }
            groups[key]?.message = message
        }
    }

    /// Asks for `member`, which has got every message up to `version` (written or queued on its
    /// loop), to be held; returns whether it is (false while its group has no follower). Runs
    /// on its loop after its task's writes: the follower's writes come after them.
    func hold(_ key: Key, _ member: Member, at version: Seq) async -> Bool {
        guard isFollowed(key) else { return false }
        let hub = hub
        return (try? await member.channel.eventLoop.submit { [self] in
            // Checked again on the loop: a follower that ends lets go, on each loop, only the
            // sockets held before.
            guard isFollowed(key) else { return false }
            member.hold(at: version)
            hub.mute(member.subscriber)
            return true
        }.get()) ?? false
    }

    private func isFollowed(_ key: Key) -> Bool { groups.withLock { $0[key]?.follower != nil } }

    /// Takes `member` back for its task (to close it): returns once the follower writes to it
    /// no more.
    func release(_ member: Member) async {
        let hub = hub
        try? await member.channel.eventLoop.submit {
            if member.letGo(release: true) { hub.unmute(member.subscriber) }
        }.get()
    }

    /// Reads each commit of the group's object branch once, keeps it for the sockets catching
    /// up and writes it to the held ones, until the group's last socket leaves or the hub
    /// closes; then (or if it cannot start) lets every socket go back to its task.
    private func follow(_ key: Key, reader: SocketMessageReader, as follower: Follower) async {
        defer {
            groups.withLock { groups in
                guard groups[key]?.follower === follower else { return }
                groups[key]?.follower = nil
                groups[key]?.followerTask = nil
            }
            letEveryoneGo(key)
        }
        await hub.subscribe(.stream(key.stream), store: reader.store) { subscriber in
            // Registered before this read: no commit after it is missed.
            guard var version = try? reader.store.version(of: key.stream) else { return }
            while !Task.isCancelled && !hub.isClosing {
                var read = message(key, after: version).map(SocketMessageReader.Read.message)
                if read == nil { read = try? reader.events(after: version) }
                switch read {
                case .message(let message):
                    keep(message, for: key)
                    write(message, key, commits: reader.store.commits)
                    version = message.version
                    if message.hasMore { continue }
                case .upToDate:
                    break
                case .branchDeleted, .erased, nil:
                    // The stream is gone, or could not be read: each socket's task reads (and
                    // closes, or reports) for itself.
                    letEveryoneGo(key)
                }
                _ = await subscriber.wait(timeout: .seconds(30))
            }
        }
    }

    /// Writes `message` to the held members of the group that are at its version, each event
    /// loop's in one pass; lets go the others held, and those whose connection cannot take it now.
    private func write(_ message: SocketMessage, _ key: Key, commits: CommitSignal) {
        let byLoop = groups.withLock { groups -> [ObjectIdentifier: [Member]] in
            var byLoop: [ObjectIdentifier: [Member]] = [:]
            for member in groups[key]?.members.values ?? [ObjectIdentifier: Member]().values {
                byLoop[ObjectIdentifier(member.channel.eventLoop), default: []].append(member)
            }
            return byLoop
        }
        let (hub, metrics) = (hub, metrics)
        for members in byLoop.values {
            members[0].channel.eventLoop.execute {
                // One frame's bytes per loop: its sockets share them without touching the other
                // loops' cache lines, each written in one piece.
                let frame = Self.frame(message.payload)
                let started = ContinuousClock.now
                let sinceCommit = metrics.sinceCommit(
                    position: message.newestPosition, committedMilliseconds: message.newestMilliseconds, commits: commits)
                var delays: [Duration] = []
                delays.reserveCapacity(members.count)
                for member in members {
                    switch member.take(after: message.after, version: message.version) {
                    case .skip:
                        continue
                    case .gap:
                        Self.letGo(member, hub)
                    case .write:
                        let channel = member.channel
                        guard channel.isActive, channel.isWritable, member.writeFrame(frame) else {
                            // Its task writes it, with the stall timeout.
                            Self.letGo(member, hub, at: message.after)
                            continue
                        }
                        // Its peer is slow to read: its task times the wait for it.
                        if !channel.isWritable { Self.letGo(member, hub) }
                        delays.append(sinceCommit + (ContinuousClock.now - started))
                    }
                }
                // Recorded after the writes, in one go: none waits for the metrics' locks.
                metrics.socketsDelivered(delays, by: .fanout)
            }
        }
    }

    /// A final text frame carrying `payload`, header and all (RFC 6455 section 5.2: a server's
    /// frames are not masked): what the frame encoder would write, in one buffer.
    fileprivate static func frame(_ payload: ByteBuffer) -> ByteBuffer {
        let length = payload.readableBytes
        var frame = ByteBuffer()
        frame.reserveCapacity(length + 10)
        frame.writeInteger(UInt8(0x81))
        switch length {
        case ..<126: frame.writeInteger(UInt8(length))
        case ..<65_536:
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(length))
        default:
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeImmutableBuffer(payload)
        return frame
    }

    /// Lets every held member of the group go (on each one's loop).
    private func letEveryoneGo(_ key: Key) {
        let hub = hub
        for member in groups.withLock({ $0[key].map { Array($0.members.values) } ?? [] }) {
            member.channel.eventLoop.execute { Self.letGo(member, hub) }
        }
    }

    /// Gives `member` back to its task (on its loop), which is woken to read on from where it
    /// got (or from `version`).
    private static func letGo(_ member: Member, _ hub: LogStreamHub, at version: Seq? = nil) {
        guard member.letGo(release: false, at: version) else { return }
        hub.unmute(member.subscriber)
        member.subscriber.signal()
    }
}

