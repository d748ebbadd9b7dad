import EventModel

/// The `document` object type (collaboration): who is here and where their cursor is
/// (`presence`), and the blocks in order with what each user can undo (`blocks`).
public enum DocumentType {
    /// How long a user may go unseen before the idle timer drops them, by default: 5 minutes.
    public static let idleMillisecondsDefault: Int64 = 300_000

    /// The definition of `document`, whose idle timer drops users unseen for
    /// `idleMilliseconds` (which must be positive).
    public static func definition(idleMilliseconds: Int64 = idleMillisecondsDefault) -> ObjectTypeDefinition {
        precondition(idleMilliseconds > 0, "the idle time must be positive, got \(idleMilliseconds)")
        return ObjectTypeDefinition(
            name: "document", views: [AnyProjection(PresenceView()), AnyProjection(BlocksView())],
            commands: [
                AnyDecider(JoinCommand(idleMilliseconds: idleMilliseconds)), AnyDecider(LeaveCommand()),
                AnyDecider(CursorCommand(idleMilliseconds: idleMilliseconds)), AnyDecider(InsertBlockCommand(idleMilliseconds: idleMilliseconds)),
                AnyDecider(UpdateBlockCommand(idleMilliseconds: idleMilliseconds)),
                AnyDecider(DeleteBlockCommand(idleMilliseconds: idleMilliseconds)),
                AnyDecider(MoveBlockCommand(idleMilliseconds: idleMilliseconds)), AnyDecider(UndoCommand(idleMilliseconds: idleMilliseconds)),
            ],
            timerHandler: AnyTimerHandler(IdleTimeout(idleMilliseconds: idleMilliseconds)),
            invariants: [
                // Block ids are distinct by construction: a block is a row under its id.
                Invariant("blocks-in-order", of: BlocksView(), "block ids are distinct and positions strictly increase") { state in
                    state.tiedBlocks == 0
                }
            ])
    }
}
