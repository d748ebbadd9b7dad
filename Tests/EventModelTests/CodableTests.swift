import EventModel
import Testing

/// A reducer state with the shapes real states have: nested structs, arrays of structs,
/// dictionaries, sets, enums with raw and associated values, and optionals.
private struct StockState: Codable, Equatable {
    enum Status: String, Codable { case open, frozen }
    enum Priority: Int, Codable { case low = 1, high = 2 }
    enum Hold: Codable, Equatable {
        case none
        case reserved(order: String, qty: Int)
        case damaged(String)
    }
    struct Line: Codable, Equatable {
        var sku: String
        var qty: Int
        var price: Double?
    }

    var name: String
    var status: Status
    var priority: Priority
    var lines: [Line]
    var bins: [String: Int]
    var byWeek: [Int: [String]]
    var tags: Set<String>
    var holds: [Hold]
    var note: String?
    var recount: Int??
    var small: UInt8
    var big: Int64
    var ratio: Float
    var matrix: [[Int]]
}

private let sample = StockState(
    name: "bolts", status: .frozen, priority: .high,
    lines: [.init(sku: "b-1", qty: 3, price: 0.25), .init(sku: "b-2", qty: 0, price: nil)],
    bins: ["a/1": 4, "b~2": 0], byWeek: [7: ["x"], 12: []], tags: ["steel", "m4", "zinc"],
    holds: [.none, .reserved(order: "o-9", qty: 2), .damaged("wet")],
    note: nil, recount: .some(.some(5)), small: 255, big: -9_007_199_254_740_992, ratio: 0.5,
    matrix: [[1, 2], [], [3]])

private struct Quantity: Codable { var qty: Int }
private struct Small: Codable { var qty: UInt8 }
private struct Flag: Codable { var on: Bool }
private struct Order: Codable { var lines: [StockState.Line] }
private struct Reading: Codable { var value: Float }

/// A point with a hand-written coding: an array `[x, y]`.
private struct Point: Codable, Hashable {
    var x: Int
    var y: Int

    init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        x = try container.decode(Int.self)
        y = try container.decode(Int.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(x)
        try container.encode(y)
    }
}

/// A class hierarchy that keeps the superclass's members under `super`, and uses nested
/// containers by hand.
private class Base: Codable {
    var id: String
    init(id: String) { self.id = id }
}

private final class Derived: Base, @unchecked Sendable {
    var size: Int
    var corners: [Point]

    init(id: String, size: Int, corners: [Point]) {
        self.size = size
        self.corners = corners
        super.init(id: id)
    }

    private enum CodingKeys: String, CodingKey { case size, geometry }
    private enum GeometryKeys: String, CodingKey { case corners }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        size = try container.decode(Int.self, forKey: .size)
        let geometry = try container.nestedContainer(keyedBy: GeometryKeys.self, forKey: .geometry)
        var corners = try geometry.nestedUnkeyedContainer(forKey: .corners)
        var decoded: [Point] = []
        while !corners.isAtEnd {
            var pair = try corners.nestedUnkeyedContainer()
            decoded.append(Point(x: try pair.decode(Int.self), y: try pair.decode(Int.self)))
        }
        self.corners = decoded
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(size, forKey: .size)
        var geometry = container.nestedContainer(keyedBy: GeometryKeys.self, forKey: .geometry)
        var corners = geometry.nestedUnkeyedContainer(forKey: .corners)
        for corner in self.corners {
            var pair = corners.nestedUnkeyedContainer()
            try pair.encode(corner.x)
            try pair.encode(corner.y)
        }
        try super.encode(to: container.superEncoder())
    }
}

@Suite("Codable bridge to JSONValue")
struct CodableTests {
    private let encoder = JSONValueEncoder()
    private let decoder = JSONValueDecoder()

    /// The pointer and message of the error decoding `text` as `T`; an issue if it decodes.
    private func problem<T: Decodable>(_ type: T.Type, _ text: String) throws -> (pointer: String, message: String) {
        do {
            _ = try decoder.decode(type, from: JSONValue(parsing: text))
        } catch let error as DecodingError {
            return error.jsonProblem
        }
        Issue.record("\(text) decoded as \(T.self)")
        return (pointer: "?", message: "decoded")
    }

    @Test("a nested state round-trips")
    func roundTrip() throws {
        let tree = try encoder.encode(sample)
        #expect(try decoder.decode(StockState.self, from: tree) == sample)
        let reparsed = try JSONValue(parsing: tree.jsonText)
        #expect(try decoder.decode(StockState.self, from: reparsed) == sample)
    }

    @Test("encodes the shapes JSONEncoder would")
    func shapes() throws {
        let tree = try encoder.encode(sample)
        #expect(tree["note"] == nil, "a nil optional member is left out")
        #expect(tree["status"] == .string("frozen"))
        #expect(tree["priority"] == .number(2))
        #expect(tree["byWeek"] == .object(["7": .array([.string("x")]), "12": .array([])]))
        #expect(tree["tags"] == .array([.string("m4"), .string("steel"), .string("zinc")]))
        #expect(tree["holds"]?.jsonText == #"[{"none":{}},{"reserved":{"order":"o-9","qty":2}},{"damaged":{"_0":"wet"}}]"#)
        #expect(tree["lines"]?.jsonText == #"[{"price":0.25,"qty":3,"sku":"b-1"},{"qty":0,"sku":"b-2"}]"#)
        #expect(try encoder.encode([Point(x: 1, y: 2): "a"]).jsonText == #"[[1,2],"a"]"#)
    }

    @Test("top-level single values and optionals")
    func singleValues() throws {
        #expect(try encoder.encode(42) == .number(42))
        #expect(try encoder.encode("x") == .string("x"))
        #expect(try encoder.encode(Int?.none) == .null)
        #expect(try encoder.encode([1, nil, 3] as [Int?]) == .array([.number(1), .null, .number(3)]))
        #expect(try decoder.decode(Int.self, from: .number(42)) == 42)
        #expect(try decoder.decode(Int?.self, from: .null) == nil)
        #expect(try decoder.decode([Int?].self, from: .array([.null, .number(2)])) == [nil, 2])
        #expect(try decoder.decode(StockState.Status.self, from: .string("open")) == .open)
    }

    @Test("missing members and nulls decode as nil optionals; Int?? cannot tell them apart")
    func optionals() throws {
        struct Maybe: Codable, Equatable {
            var a: Int?
            var b: String??
        }
        #expect(try decoder.decode(Maybe.self, from: JSONValue(parsing: "{}")) == Maybe(a: nil, b: nil))
        #expect(try decoder.decode(Maybe.self, from: JSONValue(parsing: #"{"a":null,"b":null}"#)) == Maybe(a: nil, b: nil))
        #expect(try decoder.decode(Maybe.self, from: JSONValue(parsing: #"{"a":1,"b":"x"}"#)) == Maybe(a: 1, b: "x"))
        #expect(try encoder.encode(Maybe(a: nil, b: .some(nil))).jsonText == #"{"b":null}"#)
    }

    @Test("integers must be whole and in range", arguments: [
        (#"{"qty": 1.5}"#, "/qty", "expected an integer, found 1.5"),
        (#"{"qty": -0.001}"#, "/qty", "expected an integer, found -0.001"),
        (#"{"qty": 1e20}"#, "/qty", "expected an integer in Int's range -9223372036854775808...9223372036854775807, found 1e+20"),
        (#"{"qty": "3"}"#, "/qty", "expected an integer, found a string"),
        (#"{"qty": true}"#, "/qty", "expected an integer, found a Boolean"),
        (#"{"qty": null}"#, "/qty", "expected an integer, found null"),
        (#"{"qty": {}}"#, "/qty", "expected an integer, found an object"),
    ])
    func integerErrors(text: String, pointer: String, message: String) throws {
        let found = try problem(Quantity.self, text)
        #expect(found.pointer == pointer)
        #expect(found.message == message)
    }

    @Test("narrow integer types refuse values past their range")
    func narrowIntegers() throws {
        #expect(try problem(Small.self, #"{"qty": 300}"#).message == "expected an integer in UInt8's range 0...255, found 300")
        #expect(try problem(Small.self, #"{"qty": -1}"#).message == "expected an integer in UInt8's range 0...255, found -1")
        #expect(try decoder.decode(Small.self, from: JSONValue(parsing: #"{"qty": 255.0}"#)).qty == 255)
        #expect(try decoder.decode(Int64.self, from: .number(-0x1p63)) == Int64.min)
        #expect(throws: DecodingError.self) { try decoder.decode(Int64.self, from: .number(0x1p63)) }
        #expect(try problem(Reading.self, #"{"value": 1e39}"#).message == "expected a number in Float's range, found 1e+39")
    }

    @Test("kinds are never converted")
    func kinds() throws {
        #expect(try problem(Flag.self, #"{"on": 1}"#) == (pointer: "/on", message: "expected a Boolean, found 1"))
        #expect(try problem(Flag.self, #"{"on": "true"}"#).message == "expected a Boolean, found a string")
        #expect(try problem(Order.self, #"{"lines": {}}"#) == (pointer: "/lines", message: "expected an array, found an object"))
        #expect(try problem(Order.self, #"{"lines": [3]}"#) == (pointer: "/lines/0", message: "expected an object, found 3"))
        #expect(try problem(Order.self, #"{"lines": [{"sku": 5, "qty": 1}]}"#).pointer == "/lines/0/sku")
    }

    @Test("a missing required member points at itself")
    func missingMember() throws {
        let text = #"{"lines": [{"sku": "a", "qty": 1}, {"qty": 2}]}"#
        #expect(try problem(Order.self, text) == (pointer: "/lines/1/sku", message: #"missing required member "sku""#))
        #expect(try problem(Quantity.self, "{}") == (pointer: "/qty", message: #"missing required member "qty""#))
        #expect(try problem(Quantity.self, "[]") == (pointer: "", message: "expected an object, found an array"))
    }

    @Test("pointers escape ~ and / and count array positions")
    func pointerEscapes() throws {
        struct Odd: Codable {
            enum CodingKeys: String, CodingKey { case slash = "a/b", tilde = "c~d" }
            var slash: [Int]
            var tilde: Int
        }
        #expect(try problem(Odd.self, #"{"a/b": [1, 2, 3.5], "c~d": 1}"#).pointer == "/a~1b/2")
        #expect(try problem(Odd.self, #"{"a/b": []}"#).pointer == "/c~0d")
        #expect(try problem(Point.self, "[1]") == (pointer: "/1", message: "expected another element, found the end of an array of 1"))
        #expect(try problem(StockState.Status.self, #""closed""#).pointer == "")
    }

    @Test("nested containers and super encoders round-trip")
    func classHierarchy() throws {
        let value = Derived(id: "d-1", size: 4, corners: [Point(x: 0, y: 0), Point(x: 3, y: 4)])
        let tree = try encoder.encode(value)
        #expect(tree.jsonText == #"{"geometry":{"corners":[[0,0],[3,4]]},"size":4,"super":{"id":"d-1"}}"#)
        let decoded = try decoder.decode(Derived.self, from: tree)
        #expect(decoded.id == "d-1")
        #expect(decoded.size == 4)
        #expect(decoded.corners == value.corners)
    }

    @Test("super encoders in arrays and under a chosen key")
    func superEncoders() throws {
        struct Wrapped: Codable, Equatable {
            var head: Point
            var tail: [Int]
            private enum CodingKeys: String, CodingKey { case head, copy }

            init(head: Point, tail: [Int]) {
                self.head = head
                self.tail = tail
            }

            init(from decoder: any Decoder) throws {
                let keyed = try decoder.container(keyedBy: CodingKeys.self)
                var container = try keyed.nestedUnkeyedContainer(forKey: .head)
                head = try Point(from: container.superDecoder())
                tail = []
                while !container.isAtEnd { tail.append(try container.decode(Int.self)) }
                guard try Point(from: keyed.superDecoder(forKey: .copy)) == head else {
                    throw DecodingError.dataCorruptedError(forKey: .copy, in: keyed, debugDescription: "copy differs from head")
                }
            }

            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: CodingKeys.self)
                var container = keyed.nestedUnkeyedContainer(forKey: .head)
                try head.encode(to: container.superEncoder())
                for element in tail { try container.encode(element) }
                try head.encode(to: keyed.superEncoder(forKey: .copy))
            }
        }
        let value = Wrapped(head: Point(x: 1, y: 2), tail: [3, 4])
        let tree = try encoder.encode(value)
        #expect(tree.jsonText == #"{"copy":[1,2],"head":[[1,2],3,4]}"#)
        #expect(try decoder.decode(Wrapped.self, from: tree) == value)
        #expect(try problem(Wrapped.self, #"{"head": [[1, "2"], 3], "copy": [1, 2]}"#).pointer == "/head/0/1")
        #expect(try problem(Wrapped.self, #"{"head": [[1, 2]], "copy": [1, 3]}"#) == (pointer: "/copy", message: "copy differs from head"))
    }

    @Test("allKeys come sorted, so loops over members are deterministic")
    func sortedKeys() throws {
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        struct Names: Decodable {
            var names: [String]
            init(from decoder: any Decoder) throws {
                names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            }
        }
        let text = #"{"zeta": 1, "alpha": 2, "mid": 3, "Beta": 4}"#
        #expect(try decoder.decode(Names.self, from: JSONValue(parsing: text)).names == ["Beta", "alpha", "mid", "zeta"])
    }

    @Test("integers past 2^53 round to the nearest Double when encoded")
    func largeIntegers() throws {
        #expect(try encoder.encode(Int64(9_007_199_254_740_993)) == .number(9_007_199_254_740_992))
        #expect(try encoder.encode(UInt64(1) << 60) == .number(0x1p60))
        #expect(try decoder.decode(UInt64.self, from: .number(0x1p60)) == UInt64(1) << 60)
        #expect(try decoder.decode(Int128.self, from: .number(-0x1p100)) == -(Int128(1) << 100))
    }

    @Test("encoding is deterministic, whatever the hash order")
    func determinism() throws {
        #expect(try encoder.encode(sample).jsonText == encoder.encode(sample).jsonText)
        var grown = Set<String>()
        for index in 0..<200 { grown.insert("tag-\(index)") }
        let built = Set((0..<200).reversed().map { "tag-\($0)" })
        #expect(try encoder.encode(grown).jsonText == encoder.encode(built).jsonText)
        var pointsForward: [Point: Int] = [:]
        var pointsBackward: [Point: Int] = [:]
        for index in 0..<50 { pointsForward[Point(x: index, y: -index)] = index }
        for index in (0..<50).reversed() { pointsBackward[Point(x: index, y: -index)] = index }
        let forward = try encoder.encode(pointsForward)
        #expect(forward.jsonText == (try encoder.encode(pointsBackward)).jsonText)
        #expect(try decoder.decode([Point: Int].self, from: forward) == pointsForward)
    }

    @Test("numbers JSON cannot hold are refused with their pointer")
    func nonFinite() throws {
        struct Measure: Codable { var values: [Double] }
        do {
            _ = try encoder.encode(Measure(values: [1, .nan]))
            Issue.record("NaN was encoded")
        } catch {
            #expect(error.code == .nonFiniteNumber)
            #expect(error.pointer == "/values/1")
        }
        #expect(throws: JSONValueEncodingError.self) { try encoder.encode(Float.infinity) }
    }

    @Test("errors thrown by a value's encode(to:) keep their place")
    func refusedByValue() throws {
        struct Picky: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue(0, EncodingError.Context(codingPath: encoder.codingPath, debugDescription: "no"))
            }
        }
        struct Holder: Encodable { var inner: [Picky] }
        do {
            _ = try encoder.encode(Holder(inner: [Picky()]))
            Issue.record("a refusing value was encoded")
        } catch {
            #expect(error.code == .refusedByValue)
            #expect(error.pointer == "/inner/0")
            #expect(error.reason == "no")
        }
    }

    @Test("userInfo reaches encode(to:) and init(from:)")
    func userInfo() throws {
        let key = CodingUserInfoKey(rawValue: "unit")!
        struct Unit: Codable {
            var name: String
            init(name: String) { self.name = name }
            init(from decoder: any Decoder) throws { name = decoder.userInfo[CodingUserInfoKey(rawValue: "unit")!] as? String ?? "?" }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(encoder.userInfo[CodingUserInfoKey(rawValue: "unit")!] as? String ?? "?")
            }
        }
        #expect(try JSONValueEncoder(userInfo: [key: "kg"]).encode(Unit(name: "")) == .string("kg"))
        #expect(try JSONValueDecoder(userInfo: [key: "lb"]).decode(Unit.self, from: .null).name == "lb")
    }
    @Test("a pending timer writes the bytes its Codable form writes")
    func timerJSON() throws {
        /// Encodes through `Codable`, never the hand-written path.
        struct ThroughCodable: Encodable {
            let timer: PendingTimers.Timer
            func encode(to encoder: any Encoder) throws { try timer.encode(to: encoder) }
        }
        let payloads: [JSONValue] = [.null, ["orderId": "o-1", "b": [1, 2.5, "x"], "a": ["z": true, "y": .null]], "text \" \\ é", 12]
        for (index, payload) in payloads.enumerated() {
            let timer = try JSONValueDecoder().decode(
                PendingTimers.Timer.self, from: ["dueAt": .number(Double(index * 1_796_461_889_997 - 5)), "payload": payload])
            var writer = JSONWriter()
            timer.writeJSON(into: &writer)
            let codable = try JSONBytesEncoder().encode(ThroughCodable(timer: timer))
            #expect(String(decoding: writer.bytes, as: UTF8.self) == String(decoding: codable, as: UTF8.self))
        }
    }
}
