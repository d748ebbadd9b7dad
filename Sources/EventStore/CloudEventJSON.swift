import EventModel

/// Committed events as CloudEvents 1.0 in the structured JSON format, written straight from
/// the stored bytes (`data` is copied, never parsed):
///
/// `{"specversion": "1.0", "id": event id, "source": "/v1/objects/{type}/{id}", "type": event
/// type, "subject": branch, "time": RFC 3339 commit time, "datacontenttype": "application/json",
/// "data": {...}, "position": P, "seq": S, "objecttype": type}` and, when asked for, `"view"`:
/// `{"name", "state"}` with the object's view after the event.
public enum CloudEventJSON {
    /// Writes `event` of the stream `name` as a CloudEvent; `view` (name and state JSON) is
    /// added as the `view` member when given.
    public static func write(
        _ event: StoredEvent, name: StoredStreamName, view: (name: String, state: [UInt8])? = nil, into writer: inout JSONWriter
    ) {
        let object = name.object
        let slash = object.firstIndex(of: UInt8(ascii: "/")) ?? object.endIndex
        writer.ascii("{\"specversion\":\"1.0\",\"id\":\"")
        event.id.withCanonicalBytes { writer.raw($0) }
        writer.ascii("\",\"source\":\"/v1/objects/")
        // Object types and ids hold no character JSON must escape (they are validated names).
        writer.raw(object)
        writer.ascii("\",\"type\":")
        writer.string(utf8: event.type)
        writer.ascii(",\"subject\":")
        writer.string(utf8: name.branch)
        writer.ascii(",\"time\":\"")
        RFC3339.write(milliseconds: event.timeMilliseconds, into: &writer)
        writer.ascii("\",\"datacontenttype\":\"application/json\",\"data\":")
        writer.raw(event.data)
        writer.ascii(",\"position\":")
        writer.integer(event.position)
        writer.ascii(",\"seq\":")
        writer.integer(event.seq)
        writer.ascii(",\"objecttype\":\"")
        writer.raw(UnsafeRawBufferPointer(rebasing: object[..<slash]))
        writer.byte(UInt8(ascii: "\""))
        if let view {
            writer.ascii(",\"view\":{\"name\":")
            writer.string(view.name)
            writer.ascii(",\"state\":")
            writer.bytes.append(contentsOf: view.state)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

/// RFC 3339 UTC times with milliseconds (`2026-11-23T12:00:00.000Z`), written without
/// Foundation and without allocating.
public enum RFC3339 {
    /// Writes `milliseconds` since the epoch, clamped to years 0000 to 9999.
    public static func write(milliseconds unclamped: Int64, into writer: inout JSONWriter) {
        let milliseconds = min(max(unclamped, -62_167_219_200_000), 253_402_300_799_999)
        let totalSeconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = Int(milliseconds - totalSeconds * 1000)
        var days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let secondsOfDay = Int(totalSeconds - days * 86_400)
        // Howard Hinnant's days-to-civil.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        let year4 = year
        let hour = secondsOfDay / 3_600
        let minute = secondsOfDay / 60 % 60
        let second = secondsOfDay % 60
        // `YYYY-MM-DDTHH:MM:SS.mmmZ`, 24 bytes, built on the stack and appended at once.
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &text) { bytes in
            func put(_ value: Int, _ count: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + count - 1, through: offset, by: -1) {
                    bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year4, 4, at: 0)
            bytes[4] = UInt8(ascii: "-")
            put(month, 2, at: 5)
            bytes[7] = UInt8(ascii: "-")
            put(day, 2, at: 8)
            bytes[10] = UInt8(ascii: "T")
            put(hour, 2, at: 11)
            bytes[13] = UInt8(ascii: ":")
            put(minute, 2, at: 14)
            bytes[16] = UInt8(ascii: ":")
            put(second, 2, at: 17)
            bytes[19] = UInt8(ascii: ".")
            put(millis, 3, at: 20)
            bytes[23] = UInt8(ascii: "Z")
        }
        withUnsafeBytes(of: &text) { writer.raw(UnsafeRawBufferPointer(rebasing: $0[0..<24])) }
    }
}
