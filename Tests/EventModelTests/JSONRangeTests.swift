import EventModel
import Testing

@Suite("JSON numbers past a double's range")
struct JSONRangeTests {
    @Test("are refused where they would be held as an infinity (and written back as null)", arguments: ["1e400", "[0,-123456879e0123456789012345]", "{\"a\":-1.8e309}"])
    func refused(text: String) {
        #expect(throws: JSONSyntaxError.self) { try Array(text.utf8).withUnsafeBytes { try JSONValue(parsing: $0) } }
    }

    @Test("the largest and smallest doubles, and numbers that round to zero, are taken", arguments: ["1.7976931348623157e308", "-1.7976931348623157e308", "5e-324", "1e-400"])
    func taken(text: String) throws {
        let value = try Array(text.utf8).withUnsafeBytes { try JSONValue(parsing: $0) }
        #expect(value.numberValue?.isFinite == true)
    }
}
