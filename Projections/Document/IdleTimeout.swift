import EventModel

/// Drops users not seen for `idleMilliseconds`: the timer `idle:<userId>`, set again by each of
/// their commands to fire at their last-seen time plus the idle time.
///
/// When it fires and the user is still here and has not been seen since (`lastSeen +
/// idleMilliseconds <= now`), they leave with reason `idle`. If they were seen since (the timer
/// was set under a longer idle time), it is set again for their new deadline, so nobody who
/// goes quiet stays forever.
public struct IdleTimeout: TimerHandler {
    public let source = PresenceView()
    /// How long a user may go unseen.
    public let idleMilliseconds: Int64

    /// A handler that drops users unseen for `idleMilliseconds`.
    public init(idleMilliseconds: Int64) {
        self.idleMilliseconds = idleMilliseconds
    }

    /// The timer id of `userId`'s idle timer.
    static func timerId(_ userId: String) -> String { "idle:" + userId }

    /// Sets (or moves) `userId`'s idle timer to `idleMilliseconds` after `lastSeen`.
    static func arm(_ userId: String, lastSeen: Int64, idleMilliseconds: Int64) -> NewEvent {
        .setTimer(id: timerId(userId), dueAt: lastSeen + idleMilliseconds, payload: ["userId": .string(userId)])
    }

    public func fire(timerId: String, payload: JSONValue, state: PresenceView.State, context: DecisionContext) -> [NewEvent] {
        guard let userId = payload["userId"]?.stringValue, timerId == Self.timerId(userId), let member = state.users[userId] else { return [] }
        guard member.lastSeen + idleMilliseconds <= context.nowMilliseconds else {
            return [Self.arm(userId, lastSeen: member.lastSeen, idleMilliseconds: idleMilliseconds)]
        }
        return [NewEvent(type: DocumentEventType.left, data: ["userId": .string(userId), "reason": .string(LeaveReason.idle.rawValue)])]
    }
}
