import EventModel

/// `restock {qty}`: adds units.
public struct RestockCommand: Decider {
    public struct Command: Codable, Sendable {
        public var qty: Int
        public var note: String?
    }

    public let name = "restock"
    public let source = StockView()
    public init() {}

    public func decide(_ command: Command, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard command.qty >= 1 else {
            return .failure(Rejection(code: "INVALID_QUANTITY", status: 422, message: "qty must be at least 1, got \(command.qty)", facts: ["qty": .number(Double(command.qty))]))
        }
        return events { [try NewEvent(type: "Restocked", payload: Restocked(qty: command.qty, note: command.note))] }
    }
}

/// `reserve {orderId, qty, ttlSeconds = 900}`: holds units for an order until it is confirmed,
/// released, or expires. Never oversells: refused with `INSUFFICIENT_STOCK` when fewer units are
/// available than asked.
public struct ReserveCommand: Decider {
    public struct Command: Codable, Sendable {
        public var orderId: String
        public var qty: Int
        public var ttlSeconds: Int?
    }

    public let name = "reserve"
    public let source = StockView()
    public init() {}

    public func decide(_ command: Command, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard command.qty >= 1 else {
            return .failure(Rejection(code: "INVALID_QUANTITY", status: 422, message: "qty must be at least 1, got \(command.qty)", facts: ["qty": .number(Double(command.qty))]))
        }
        let ttlSeconds = command.ttlSeconds ?? 900
        guard (1...86_400 * 30).contains(ttlSeconds) else {
            return .failure(Rejection(code: "INVALID_TTL", status: 422, message: "ttlSeconds must be 1 to 2592000, got \(ttlSeconds)"))
        }
        if let existing = state.rows[command.orderId] {
            return .failure(
                Rejection(
                    code: "RESERVATION_EXISTS", message: "order \(command.orderId) already has a reservation",
                    facts: ["orderId": .string(command.orderId), "status": .string(existing.status.rawValue)]))
        }
        guard state.available >= command.qty else {
            return .failure(
                Rejection(
                    code: "INSUFFICIENT_STOCK", message: "\(command.qty) requested, \(state.available) available",
                    facts: ["available": .number(Double(state.available)), "requested": .number(Double(command.qty))]))
        }
        let expiresAt = context.nowMilliseconds + Int64(ttlSeconds) * 1_000
        return events {
            [
                try NewEvent(type: "Reserved", payload: Reserved(orderId: command.orderId, qty: command.qty, expiresAt: expiresAt)),
                .setTimer(id: ReservationExpiry.timerId(command.orderId), dueAt: expiresAt, payload: ["orderId": .string(command.orderId)]),
            ]
        }
    }
}

/// `confirm {orderId}`, `release {orderId}`: close a pending reservation.
public struct CloseReservationCommand: Decider {
    public struct Command: Codable, Sendable {
        public var orderId: String
        public var reason: String?
    }

    public let name: String
    private let eventType: String
    public let source = StockView()

    /// `confirm`: the reserved units are sold.
    public static let confirm = CloseReservationCommand(name: "confirm", eventType: "Confirmed")
    /// `release`: the reserved units are available again.
    public static let release = CloseReservationCommand(name: "release", eventType: "Released")

    private init(name: String, eventType: String) {
        self.name = name
        self.eventType = eventType
    }

    public func decide(_ command: Command, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        if let order = state.rows[command.orderId], order.status != .pending {
            return .failure(
                Rejection(
                    code: "INVALID_STATUS", message: "the reservation of order \(command.orderId) is already \(order.status.rawValue)",
                    facts: ["orderId": .string(command.orderId), "status": .string(order.status.rawValue)]))
        }
        guard state.rows[command.orderId] != nil else {
            return .failure(
                Rejection(code: "RESERVATION_NOT_FOUND", status: 404, message: "order \(command.orderId) has no reservation", facts: ["orderId": .string(command.orderId)]))
        }
        let reason = eventType == "Released" ? command.reason : nil
        return events {
            [
                try NewEvent(type: eventType, payload: OrderReference(orderId: command.orderId, reason: reason)),
                .cancelTimer(id: ReservationExpiry.timerId(command.orderId)),
            ]
        }
    }
}

/// `adjust {delta, reason}`: corrects the available units (a count, a breakage); never below 0.
public struct AdjustCommand: Decider {
    public struct Command: Codable, Sendable {
        public var delta: Int
        public var reason: String
    }

    public let name = "adjust"
    public let source = StockView()
    public init() {}

    public func decide(_ command: Command, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard command.delta != 0 else { return .failure(Rejection(code: "INVALID_QUANTITY", status: 422, message: "delta must not be 0")) }
        guard state.available + command.delta >= 0 else {
            return .failure(
                Rejection(
                    code: "INSUFFICIENT_STOCK", message: "an adjustment of \(command.delta) would leave \(state.available + command.delta) available",
                    facts: ["available": .number(Double(state.available)), "delta": .number(Double(command.delta))]))
        }
        return events { [try NewEvent(type: "Adjusted", payload: Adjusted(delta: command.delta, reason: command.reason))] }
    }
}

/// `setReorderPoint {point}`: the available units under which the SKU is low on stock (the
/// `low-stock` cross-object view lists it); 0 clears it.
public struct SetReorderPointCommand: Decider {
    public struct Command: Codable, Sendable {
        public var point: Int
    }

    public let name = "setReorderPoint"
    public let source = StockView()
    public init() {}

    public func decide(_ command: Command, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> Result<[NewEvent], Rejection> {
        guard (0...1_000_000_000).contains(command.point) else {
            return .failure(
                Rejection(
                    code: "INVALID_QUANTITY", status: 422, message: "point must be from 0 to 1000000000, got \(command.point)",
                    facts: ["point": .number(Double(command.point))]))
        }
        return events { [try NewEvent(type: "ReorderPointSet", payload: ReorderPointSet(point: command.point))] }
    }
}

/// Wraps event construction: encoding plain Codable structs cannot fail, so a failure is a
/// programming error reported as a 500 rejection rather than a crash of the writer; a
/// ``Rejection`` thrown by `make` is the decision.
func events(_ make: () throws -> [NewEvent]) -> Result<[NewEvent], Rejection> {
    do { return .success(try make()) } catch let rejection as Rejection {
        return .failure(rejection)
    } catch {
        return .failure(Rejection(code: "INTERNAL", status: 500, message: "cannot encode the event: \(error)"))
    }
}

/// When a reservation's timer fires and the reservation is still pending, it expires: its units
/// are available again.
public struct ReservationExpiry: TimerHandler {
    public let source = StockView()
    public init() {}

    /// The timer id of the reservation of `orderId`.
    static func timerId(_ orderId: String) -> String { "reservation:" + orderId }

    public func fire(timerId: String, payload: JSONValue, state: KeyedState<StockView.Summary, StockView.Order>, context: DecisionContext) -> [NewEvent] {
        guard let orderId = payload["orderId"]?.stringValue, state.rows[orderId]?.status == .pending else { return [] }
        return [NewEvent(type: "Expired", data: ["orderId": .string(orderId)])]
    }
}
