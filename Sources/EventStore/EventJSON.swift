import EventModel

/// How events look in JSON, written straight from stored bytes: `data` and `metadata` are
/// copied as stored (they were validated and compacted on the way in), never parsed again.
public enum EventJSON {
    /// Writes `{"seq","position","id","type","data","metadata","time"}`.
    @inline(__always)
    public static func write(_ event: StoredEvent, into writer: inout JSONWriter) {
        writer.ascii("{\"seq\":")
        writer.integer(event.seq)
        writeCommonFields(event, into: &writer)
        writer.byte(UInt8(ascii: "}"))
    }

    /// Writes the same members as ``write(_:into:)`` plus `object` and `branch`.
    @inline(__always)
    public static func write(_ event: StoredEvent, name: StoredStreamName, into writer: inout JSONWriter) {
        writer.ascii("{\"object\":")
        writer.string(utf8: name.object)
        writer.ascii(",\"branch\":")
        writer.string(utf8: name.branch)
        writer.ascii(",\"seq\":")
        writer.integer(event.seq)
        writeCommonFields(event, into: &writer)
        writer.byte(UInt8(ascii: "}"))
    }

    @inline(__always)
    private static func writeCommonFields(_ event: StoredEvent, into writer: inout JSONWriter) {
        writer.ascii(",\"position\":")
        writer.integer(event.position)
        writer.ascii(",\"id\":\"")
        event.id.withCanonicalBytes { writer.raw($0) }
        writer.ascii("\",\"type\":")
        writer.string(utf8: event.type)
        writer.ascii(",\"data\":")
        writer.raw(event.data)
        writer.ascii(",\"metadata\":")
        writer.raw(event.metadata)
        writer.ascii(",\"time\":")
        writer.integer(event.timeMilliseconds)
    }

    /// Writes the `events` array of a command's answer: each decided event as committed, with
    /// the members of ``write(_:into:)`` but `metadata` (deciders write none). The HTTP answer
    /// and the WebSocket reply share it, so both show the same shape.
    public static func writeDecided(_ outcome: CommandOutcome, into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "["))
        for (index, event) in outcome.events.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"seq\":")
            writer.integer(event.seq)
            writer.ascii(",\"position\":")
            writer.integer(outcome.firstPosition + UInt64(index))
            writer.ascii(",\"id\":\"")
            event.id.withCanonicalBytes { writer.raw($0) }
            writer.ascii("\",\"type\":")
            writer.string(event.type)
            writer.ascii(",\"data\":")
            // A decided event's data as stored, not parsed back into a tree to be written again.
            if let json = event.decidedJSON { writer.raw(json) } else { writer.value(event.data) }
            writer.ascii(",\"time\":")
            writer.integer(event.timeMilliseconds)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
    }

    /// Writes an append's answer: `{"object","branch","firstSeq","lastSeq","version","position"}`.
    public static func write(_ outcome: AppendOutcome, into writer: inout JSONWriter) {
        writer.ascii("{\"object\":")
        writer.string(outcome.stream.object.description)
        writer.ascii(",\"branch\":")
        writer.string(outcome.stream.branch.name)
        writer.ascii(",\"firstSeq\":")
        writer.integer(outcome.firstSeq)
        writer.ascii(",\"lastSeq\":")
        writer.integer(outcome.lastSeq)
        writer.ascii(",\"version\":")
        writer.integer(outcome.lastSeq)
        writer.ascii(",\"position\":")
        writer.integer(outcome.lastPosition)
        writer.byte(UInt8(ascii: "}"))
    }

    /// Writes a store's statistics: `{"status"?, "position", "streams", "queuedRequests",
    /// "mapBytes", "mapBytesMax", "usedBytes", "pageBytes"}`.
    public static func write(_ statistics: StoreStatistics, status: String? = nil, into writer: inout JSONWriter) {
        writer.byte(UInt8(ascii: "{"))
        if let status {
            writer.ascii("\"status\":")
            writer.string(status)
            writer.byte(UInt8(ascii: ","))
        }
        writer.ascii("\"position\":")
        writer.integer(statistics.lastPosition)
        writer.ascii(",\"streams\":")
        writer.integer(statistics.streams)
        writer.ascii(",\"queuedRequests\":")
        writer.integer(statistics.queuedRequests)
        writer.ascii(",\"mapBytes\":")
        writer.integer(statistics.map.mapSizeBytes)
        writer.ascii(",\"mapBytesMax\":")
        writer.integer(statistics.map.mapSizeMaxBytes)
        writer.ascii(",\"usedBytes\":")
        writer.integer(statistics.map.usedBytes)
        writer.ascii(",\"pageBytes\":")
        writer.integer(statistics.map.pageSizeBytes)
        writer.byte(UInt8(ascii: "}"))
    }
}
