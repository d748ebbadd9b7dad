import EventModel
import Testing

@Suite("Names and ids")
struct NameTests {
    @Test("object keys", arguments: [
        ("inventory/sku-42", true), ("document/doc.7:a_b", true), ("a/b", true),
        ("Inventory/sku", false), ("1nv/sku", false), ("inventory/", false), ("/sku", false), ("inventory", false),
        ("inventory/sku 1", false), ("inventory/sku/1", false), ("inventory/" + String(repeating: "x", count: 200), true),
        ("inventory/" + String(repeating: "x", count: 201), false), (String(repeating: "t", count: 65) + "/x", false),
        ("inventory/.", false), ("inventory/..", false), ("inventory/...", true), ("inventory/.a", true),
    ])
    func objectKeys(text: String, valid: Bool) {
        #expect(((try? ObjectKey(parsing: text)) != nil) == valid, Comment(rawValue: text))
    }

    @Test("a refused name says which part is wrong")
    func nameErrors() {
        let error = #expect(throws: NameError.self) { try ObjectKey(parsing: "inventory/") }
        #expect(error?.field == "id" && error?.reason == "must not be empty")
        #expect(error?.description == "invalid id: must not be empty")
        #expect(throws: NameError.self) { try BranchName("a:b") }
        #expect((try? BranchName("what-if.2")) != nil)
    }

    @Test("event ids parse, print and order; version 7 ids follow time")
    func eventIDs() {
        let text = "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d"
        let id = EventID(parsing: text.uppercased())
        #expect(id?.description == text)
        for bad in ["", "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8", "0190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8dd", "0190c2a46e1f-7b3a-9c1d-2f4e5a6b7c8d-", "g190c2a4-6e1f-7b3a-9c1d-2f4e5a6b7c8d"] {
            #expect(EventID(parsing: bad) == nil, Comment(rawValue: bad))
        }
        var generator = SystemRandomNumberGenerator()
        let earlier = EventID.version7(milliseconds: 1_000, using: &generator)
        let later = EventID.version7(milliseconds: 1_001, using: &generator)
        #expect(earlier < later)
        #expect(earlier.description.dropFirst(14).first == "7")
        #expect(EventID(parsing: earlier.description) == earlier)
    }

    @Test("expected versions")
    func expectedVersions() {
        #expect(ExpectedVersion.any.isMet(byHead: 7))
        #expect(ExpectedVersion.exactly(0).isMet(byHead: 0) && !ExpectedVersion.exactly(0).isMet(byHead: 1))
        #expect(ExpectedVersion.exactly(3).isMet(byHead: 3) && !ExpectedVersion.exactly(3).isMet(byHead: 4))
    }
}
