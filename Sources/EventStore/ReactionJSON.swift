import EventModel

/// How reactions' statuses look in JSON, for the server and `evtool` alike.
public enum ReactionJSON {
    /// `{"reactions": [{"name", "eventTypes", "position", "lag", "paused", "refusals",
    /// "lastRefusals": [{"seq", "id", "time", "data"}]}]}`; a refusal's data is the
    /// `CommandRefused` event's: the command (`object`, `command`, `body`), the refusal (`code`,
    /// `message`, `facts`) and the event that caused it (`trigger`, `position`).
    public static func write(_ statuses: [ReactionStatus], into writer: inout JSONWriter) {
        writer.ascii("{\"reactions\":[")
        for (index, status) in statuses.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            write(status, into: &writer)
        }
        writer.ascii("]}")
    }

    /// One reaction's status, as in ``write(_:into:)-([ReactionStatus],_)``.
    public static func write(_ status: ReactionStatus, into writer: inout JSONWriter) {
        writer.ascii("{\"name\":")
        writer.string(status.name)
        writer.ascii(",\"eventTypes\":")
        writer.value(.array(status.eventTypes.map(JSONValue.string)))
        writer.ascii(",\"position\":")
        writer.integer(status.position)
        writer.ascii(",\"lag\":")
        writer.integer(status.lag)
        writer.ascii(",\"paused\":")
        writer.ascii(status.paused ? "true" : "false")
        writer.ascii(",\"refusals\":")
        writer.integer(status.refusals)
        writer.ascii(",\"lastRefusals\":[")
        for (index, event) in status.lastRefusals.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"seq\":")
            writer.integer(event.seq)
            writer.ascii(",\"id\":")
            writer.string(event.id.description)
            writer.ascii(",\"time\":")
            writer.integer(event.timeMilliseconds)
            writer.ascii(",\"data\":")
            writer.value(event.data)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.ascii("]}")
    }
}
