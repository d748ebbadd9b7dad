import EventModel

/// The object types that ship with the engine, with their views and commands.
public enum BundledTypes {
    /// `inventory`: one object per SKU.
    public static let inventory = ObjectTypeDefinition(
        name: "inventory", views: [AnyProjection(StockView())],
        commands: [
            AnyDecider(RestockCommand()), AnyDecider(ReserveCommand()), AnyDecider(CloseReservationCommand.confirm),
            AnyDecider(CloseReservationCommand.release), AnyDecider(AdjustCommand()),
        ],
        timerHandler: AnyTimerHandler(ReservationExpiry()))

    /// Every bundled type, by name.
    public static let all: [String: ObjectTypeDefinition] = [inventory.name: inventory]
}
