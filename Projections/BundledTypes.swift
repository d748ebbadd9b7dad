import EventModel

/// The object types that ship with the engine, with their views and commands.
public enum BundledTypes {
    /// `inventory`: one object per SKU.
    public static let inventory = ObjectTypeDefinition(
        name: "inventory", views: [AnyProjection(StockView())],
        commands: [
            AnyDecider(RestockCommand()), AnyDecider(ReserveCommand()), AnyDecider(CloseReservationCommand.confirm),
            AnyDecider(CloseReservationCommand.release), AnyDecider(AdjustCommand()), AnyDecider(SetReorderPointCommand()),
        ],
        timerHandler: AnyTimerHandler(ReservationExpiry()),
        invariants: [
            Invariant("available-non-negative", of: StockView(), "available stock is never below zero") { $0.available >= 0 },
            Invariant("reserved-non-negative", of: StockView(), "reserved stock is never below zero") { $0.reserved >= 0 },
            // Two lines that each reserved for the same order would hold it twice once merged.
            Invariant("reserved-matches-pending", of: StockView(), "reserved units are exactly those of the pending reservations") {
                $0.reserved == $0.pendingUnits
            },
        ])

    /// `building`: one object per building; its sensors' readings, alert rules and alerts.
    /// `record` decides on the `alerts` view, so its rules are evaluated in the append's
    /// transaction. Telemetry: raw readings are kept 7 days (``buildingRetention``), the views'
    /// aggregates for ever.
    public static let building = ObjectTypeDefinition(
        name: "building", views: [AnyProjection(AggregatesView()), AnyProjection(AlertsView())],
        commands: [
            AnyDecider(RecordCommand()), AnyDecider(AddRuleCommand()), AnyDecider(AcknowledgeCommand()), AnyDecider(ResolveCommand()),
        ],
        invariants: [
            Invariant("alerts-follow-rules", of: AlertsView(), "every open alert was raised by a declared rule") { state in
                state.alerts.values.allSatisfy { state.rules[$0.ruleId] != nil }
            }
        ], retention: buildingRetention)

    /// How long a building keeps its raw readings: 7 days.
    public static let buildingRetention = RetentionPolicy(milliseconds: 7 * 86_400_000)

    /// `document`: one object per document; who is here, and its blocks in order. Users unseen
    /// for ``DocumentType/idleMillisecondsDefault`` are dropped by the idle timer.
    public static let document = DocumentType.definition()

    /// `order`: one object per order, placed by clients and driven to `confirmed` or `failed` by
    /// the checkout saga (the `checkout` reaction).
    public static let order = ObjectTypeDefinition(
        name: "order", views: [AnyProjection(OrderView())],
        commands: [
            AnyDecider(PlaceOrderCommand()), AnyDecider(PayOrderCommand()), AnyDecider(CancelOrderCommand()), AnyDecider(AwaitPaymentCommand()),
            AnyDecider(ExpirePaymentCommand()), AnyDecider(SettleOrderCommand()),
        ], commandsOnly: true)

    /// `checkout`: the saga of one order (`checkout/ORDER`): which lines are reserved, the
    /// payment deadline (a timer), and the outcome.
    public static let checkout = ObjectTypeDefinition(
        name: "checkout", views: [AnyProjection(StepsView())],
        commands: [
            AnyDecider(StartCheckoutCommand()), AnyDecider(LineStepCommand.reserved), AnyDecider(LineStepCommand.refused),
            AnyDecider(LineStepCommand.confirmed), AnyDecider(LineStepCommand.confirmFailed), AnyDecider(LineStepCommand.released),
            AnyDecider(LineStepCommand.releaseFailed), AnyDecider(CheckoutPaidCommand()), AnyDecider(PaymentExpiredCommand()),
            AnyDecider(CancelCheckoutCommand()),
        ],
        timerHandler: AnyTimerHandler(PaymentDeadline()),
        invariants: [
            Invariant("ended-holds-nothing", of: StepsView(), "a checkout that ended holds no reservation nor waits for one") { state in
                switch state.status {
                case .failed?: state.holdsNothing
                case .confirmed?: state.lines.allSatisfy { $0.status == .confirmed }
                default: true
                }
            }
        ], commandsOnly: true)

    /// The bundled views over the whole log: `fleet`, `low-stock`, `orders-by-customer` and
    /// `sensor-leaderboard`.
    public static let logViews: [AnyLogProjection] = [
        AnyLogProjection(FleetView()), AnyLogProjection(LowStockView()), AnyLogProjection(OrdersByCustomerView()),
        AnyLogProjection(SensorLeaderboardView()),
    ]

    /// The bundled reactions: `checkout`, which runs the checkout saga.
    public static let reactions: [AnyReaction] = [AnyReaction(CheckoutReaction())]

    /// Every bundled type, by name.
    public static let all: [String: ObjectTypeDefinition] = [
        inventory.name: inventory, building.name: building, document.name: document, order.name: order, checkout.name: checkout,
    ]
}
