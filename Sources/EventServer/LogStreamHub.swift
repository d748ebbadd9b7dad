import EventModel
import EventStore
import ServiceLifecycle
import Synchronization

/// The server's subscribers (log streams, consumers' long polls and streams, object streams and
/// WebSockets): it wakes each one only for the commits that concern it, times their waits and
/// writes with one clock, and ends them all on graceful shutdown.
///
/// One task follows the store's commits for every subscriber: it reads each commit's events
/// once (their streams and types, deduplicated) and signals the subscribers they concern,
/// found through a ``SubscriberIndex``; an idle subscriber costs nothing per commit and a
/// constant amount of memory, returned when it leaves. One clock ends the waits that timed
/// out (heartbeats, long polls) and reports the writes that stalled, whose connections the
/// subscribers close: no subscriber holds a timer of its own.
public final class LogStreamHub: Service, Sendable {
    private struct State {
        var index = SubscriberIndex()
        var nextId = 0
        var tasks: [Task<Void, Never>] = []
        var isClosing = false
    }

    private let closing = AsyncCondition(false)
    private let heartbeats = AsyncCondition(0)
    private let state = Mutex(State())
    /// The clock's schedule.
    private let wheel = DeadlineWheel(tick: LogStreamHub.tick)
    /// The log position up to which the follower has signalled every subscriber concerned.
    private let followed = Atomic<Position>(0)

    /// How often the clock looks for ended waits and stalled writes.
    static let tick: Duration = .milliseconds(100)
    /// Past this many events in one step, every subscriber is woken instead of matched (each
    /// reads what it follows itself): cheaper than reading them all.
    static let matchedEventsMax = 16_384

    /// A hub with no streams.
    public init() {}

    /// True once shutdown has begun.
    var isClosing: Bool { closing.value }

    /// How many subscribers are registered now.
    public var subscriberCount: Int { state.withLock { $0.index.all.count } }

    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Tells every stream to finish: each ends its response after the events it has sent.
    /// The clock keeps watching their last writes until the last one has left.
    public func close() {
        let (subscribers, follower) = state.withLock { state in
            state.isClosing = true
            return (Array(state.index.all.values), state.tasks.first)
        }
        closing.update { $0 = true }
        for subscriber in subscribers { subscriber.close() }
        follower?.cancel()
    }

    /// Counts a heartbeat written on one of the streams.
    func sentHeartbeat() {
        heartbeats.update { $0 += 1 }
    }

    /// Heartbeats written on every stream so far.
    public var heartbeatsSent: Int { heartbeats.value }

    /// Returns once more than `count` heartbeats have been written (or the task is cancelled):
    /// a stream that sent one after an event has sent that event.
    public func waitForHeartbeats(after count: Int) async {
        await heartbeats.wait { $0 > count }
    }

    /// The log position up to which every commit has been matched against the subscribers (0
    /// before the first one registers): a subscriber that is not signalled (``Subscriber/takeSignal()``,
    /// asked after this is read) was concerned by none of the commits after its last read up
    /// to here, so it need not read them.
    var followedPosition: Position { followed.load(ordering: .acquiring) }

    /// Runs `body` with a subscriber following `interest` in `store`'s commits, registered
    /// before `body` reads anything (so no commit after its first read is missed) and removed
    /// when it returns. `onStall` closes the connection of a write that outlived its timeout.
    func subscribe<T>(
        _ interest: Subscriber.Interest, store: EventStore, onStall: @escaping @Sendable () -> Void = {},
        _ body: (Subscriber) async throws -> T
    ) async rethrows -> T {
        let subscriber = register(interest, store: store, onStall: onStall)
        defer { state.withLock { $0.index.remove(subscriber) } }
        return try await body(subscriber)
    }

    /// Stops signalling `subscriber` for commits (another follows its stream for it: the
    /// sockets a ``SocketFanout`` writes to); closing the hub still ends its waits.
    func mute(_ subscriber: Subscriber) {
        state.withLock { $0.index.mute(subscriber) }
    }

    /// Signals `subscriber` for the commits that concern it again, from the next one on.
    func unmute(_ subscriber: Subscriber) {
        state.withLock { $0.index.unmute(subscriber) }
    }

    private func register(_ interest: Subscriber.Interest, store: EventStore, onStall: @escaping @Sendable () -> Void) -> Subscriber {
        let (subscriber, closed, starts) = state.withLock { state -> (Subscriber, Bool, Bool) in
            let subscriber = Subscriber(id: state.nextId, interest: interest, wheel: wheel, onStall: onStall)
            state.nextId += 1
            state.index.insert(subscriber)
            return (subscriber, state.isClosing, state.tasks.isEmpty && !state.isClosing)
        }
        if closed { subscriber.close() }
        if starts { start(store) }
        return subscriber
    }

    /// Starts the follower and the clock (once: the hub serves one store).
    private func start(_ store: EventStore) {
        // Read before the first subscriber reads the store: no commit after its read is missed.
        let seen = store.commits.committedPosition
        let follower = Task.detached { [self] in await follow(store, after: seen) }
        let clock = Task.detached { [self] in await keepTime() }
        let started = state.withLock { state -> Bool in
            guard state.tasks.isEmpty, !state.isClosing else { return false }
            state.tasks = [follower, clock]
            return true
        }
        if !started {
            follower.cancel()
            clock.cancel()
        }
    }

    /// Reads every commit's events once and signals the subscribers they concern; then
    /// publishes how far it has followed (``followedPosition``).
    private func follow(_ store: EventStore, after start: Position) async {
        var seen = start
        followed.store(start, ordering: .releasing)
        while !Task.isCancelled {
            await store.commits.wait(after: seen)
            if Task.isCancelled { return }
            if store.commits.isClosed {
                signalEveryone()
                return
            }
            let head = store.commits.committedPosition
            defer { followed.store(seen, ordering: .releasing) }
            guard head - seen <= Position(Self.matchedEventsMax) else {
                signalEveryone()
                seen = head
                continue
            }
            var touched: [TouchedStream] = []
            var position = seen
            var last: (stream: UInt64, type: [UInt8])?
            do {
                while position < head {
                    let page = try store.readLog(after: position, limit: 4_096) { event, name in
                        if let last, last.stream == event.stream, last.type.elementsEqual(event.type) { return }
                        last = (event.stream, Array(event.type))
                        touched.append(
                            TouchedStream(
                                tenant: String(decoding: name.tenant, as: UTF8.self), object: String(decoding: name.object, as: UTF8.self),
                                branch: String(decoding: name.branch, as: UTF8.self), eventType: String(decoding: event.type, as: UTF8.self)))
                    }
                    guard page.count > 0 else { break }
                    position = page.lastPosition
                }
            } catch {
                // The store closed, or a record is damaged: wake everyone; each reads (and
                // reports) for itself.
                signalEveryone()
                seen = head
                continue
            }
            seen = head
            var concerned: [Int: Subscriber] = [:]
            state.withLock { state in
                for stream in Set(touched) { state.index.collect(stream, into: &concerned) }
            }
            for subscriber in concerned.values { subscriber.signal() }
        }
    }

    /// Signals every subscriber: each reads what it follows itself.
    private func signalEveryone() {
        for subscriber in state.withLock({ Array($0.index.all.values) }) { subscriber.signal() }
    }

    /// Ends the waits whose time is up and reports the writes that stalled, every ``tick``,
    /// until the hub has closed and every subscriber has left: it looks only at the subscribers
    /// the ``DeadlineWheel`` has filed under the ticks that came.
    private func keepTime() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.tick)
            if state.withLock({ $0.isClosing && $0.index.all.isEmpty }) { return }
            let now = ContinuousClock.now
            for (tick, subscriber) in wheel.due(at: now) where subscriber.tick(now, filedAt: tick) { subscriber.onStall() }
        }
    }
}
