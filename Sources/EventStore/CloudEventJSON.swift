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

    /// Milliseconds since the epoch of an RFC 3339 `date-time` (`2026-11-23T10:00:00Z`,
    /// `2026-11-23t10:00:00.123456+05:30`; `T`/`Z` in either case, any number of fraction digits,
    /// truncated to milliseconds, a leap second read as the second before); nil for anything else.
    public static func milliseconds(parsing text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"), let month = digits(5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"), let hour = digits(11, 2),
            bytes[13] == UInt8(ascii: ":"), let minute = digits(14, 2), bytes[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...monthDays[month - 1]).contains(day), hour <= 23, minute <= 59, second <= 60 else { return nil }
        var index = 19
        var millis = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if index - start < 3 { millis = millis * 10 + Int(bytes[index] - 0x30) }
                index += 1
            }
            guard index > start else { return nil }
            for _ in min(3, index - start)..<3 { millis *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetMinutes = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let offsetHour = digits(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"),
                let offsetMinute = digits(index + 4, 2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetMinutes = (offsetHour * 60 + offsetMinute) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        // Howard Hinnant's days-from-civil.
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + min(second, 59)) - Int64(offsetMinutes * 60)
        return seconds * 1_000 + Int64(millis)
    }
}
