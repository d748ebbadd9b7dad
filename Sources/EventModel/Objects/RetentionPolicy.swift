/// How long an object type keeps its raw events: the newest `events` of each branch, and every
/// event younger than `milliseconds`; older ones are compacted behind a snapshot of every view
/// (the views stay exact; reads and forks before the horizon are refused). Both unset: every
/// event is kept.
public struct RetentionPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The newest events of each branch always kept (at least 1).
    public let events: UInt64?
    /// Events younger than this (by commit time, ms) are always kept.
    public let milliseconds: Int64?

    /// A policy keeping the newest `events` and every event younger than `milliseconds`; at
    /// least one of them must be given, and each must be positive.
    public init(events: UInt64? = nil, milliseconds: Int64? = nil) {
        precondition(events != nil || milliseconds != nil, "a retention policy keeps a count of events, a period, or both")
        precondition((events ?? 1) > 0 && (milliseconds ?? 1) > 0, "a retention policy keeps at least one event and a positive period")
        self.events = events
        self.milliseconds = milliseconds
    }

    /// Reads `SPEC`: a count (`100000`), a period (`90s`, `30m`, `12h`, `7d`), or both joined by
    /// `+` (`7d+1000`); nil when it is none of these.
    public init?(parsing spec: String) {
        var events: UInt64?
        var milliseconds: Int64?
        for part in spec.split(separator: "+", omittingEmptySubsequences: false) {
            if let count = UInt64(part), count > 0, events == nil {
                events = count
                continue
            }
            let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
            guard let unit = part.last.flatMap({ units[$0] }), let amount = Int64(part.dropLast()), amount > 0,
                amount <= Int64.max / unit, milliseconds == nil
            else { return nil }
            milliseconds = amount * unit
        }
        guard events != nil || milliseconds != nil else { return nil }
        self.init(events: events, milliseconds: milliseconds)
    }

    /// The policy as ``init(parsing:)`` reads it, the period in its largest whole unit.
    public var description: String {
        var parts: [String] = []
        if let milliseconds {
            let unit = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1_000, "s")].first { milliseconds % Int64($0.0) == 0 }
            parts.append(unit.map { "\(milliseconds / Int64($0.0))\($0.1)" } ?? "\(milliseconds)ms")
        }
        if let events { parts.append("\(events)") }
        return parts.joined(separator: "+")
    }
}
