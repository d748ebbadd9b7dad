import EventModel
import Testing

@Suite("Last-Event-ID: a decimal position, nothing else")
struct LastEventIDTests {
    @Test("digits, with spaces and tabs around them, are the number they say", arguments: [("42", UInt64(42)), (" 7\t", 7), ("0", 0), ("18446744073709551615", nil), ("9223372036854775807", 9_223_372_036_854_775_807)])
    func taken(text: String, expected: UInt64?) {
        #expect(LastEventID.parse(text) == expected)
    }

    @Test("anything else is refused", arguments: ["", " ", "-1", "+1", "1.0", "1e3", "0x10", "١٢", "1 2", "12345678901234567890", "4\n", "  \u{489} 1", "1\u{301}"])
    func refused(text: String) {
        #expect(LastEventID.parse(text) == nil)
    }
}
