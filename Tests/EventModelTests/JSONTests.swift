import EventModel
import Testing

@Suite("JSON scanner and writer")
struct JSONTests {
    private func validate(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            var scanner = JSONScanner(UnsafeRawBufferPointer(buffer))
            do {
                _ = try scanner.skipValue()
                try scanner.expectEnd()
                return true
            } catch {
                return false
            }
        }
    }

    @Test("accepts RFC 8259 JSON", arguments: [
        "{}", "[]", "0", "-0", "1.5e-3", "-12.0E+7", "\"\"", "\"a\\u00e9\\n\\\"\"", "true", "false", "null",
        " { \"a\" : [ 1 , { \"b\" : null } ] } ", "\"é日本\"", "\"😀\"", "\"\\ud83d\\ude00\"",
    ])
    func accepts(_ text: String) { #expect(validate(text)) }

    @Test("refuses what is not JSON", arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"",
        "\"\\u12\"", "\"a\u{01}b\"", "{\"a\" 1}", "[1 2]", "1 2", "'a'", "NaN", "Infinity",
    ])
    func refuses(_ text: String) { #expect(!validate(text)) }

    @Test("refuses invalid UTF-8 and nesting past the limit")
    func refusesBytes() {
        for bytes in [[0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22]] as [[UInt8]] {
            let valid = bytes.withUnsafeBytes { buffer -> Bool in
                var scanner = JSONScanner(buffer)
                return (try? scanner.skipValue()) != nil
            }
            #expect(!valid, "\(bytes)")
        }
        #expect(validate(String(repeating: "[", count: 63) + String(repeating: "]", count: 63)))
        #expect(!validate(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)))
    }

    @Test("reads members, strings with escapes and whole numbers")
    func reads() throws {
        let text = #"{"name": "a\"b\u00e9\ud83d\ude00", "n": -42, "ok": true, "skip": {"x": [1, 2]}, "nothing": null}"#
        var bytes = Array(text.utf8)
        var seen: [String: String] = [:]
        try bytes.withUnsafeMutableBytes { buffer in
            var scanner = JSONScanner(UnsafeRawBufferPointer(buffer))
            try scanner.readObject { key, value in
                switch key {
                case "name": seen[key] = try value.readString()
                case "n": seen[key] = String(try value.readInteger())
                case "ok": seen[key] = String(try value.readBool())
                case "nothing": seen[key] = String(try value.readNull())
                default:
                    let range = try value.skipValue()
                    seen[key] = String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]), as: UTF8.self)
                }
            }
            try scanner.expectEnd()
        }
        #expect(seen == ["name": "a\"bé😀", "n": "-42", "ok": "true", "skip": #"{"x": [1, 2]}"#, "nothing": "true"])
        for refused in ["99999999999999999999", "1.5", "1e300", "9007199254740994.0", "-0.25"] {
            var bytes = Array(refused.utf8)
            bytes.withUnsafeMutableBytes { buffer in
                var scanner = JSONScanner(UnsafeRawBufferPointer(buffer))
                #expect(throws: JSONSyntaxError.self, "\(refused)") { try scanner.readInteger() }
            }
        }
        // Whole numbers written with a fraction or an exponent are whole numbers (JSON Schema's integer).
        for (text, value) in [("4585.0", Int64(4585)), ("1e3", 1_000), ("-2.00", -2), ("0.0", 0)] {
            var bytes = Array(text.utf8)
            let read = try bytes.withUnsafeMutableBytes { buffer throws -> Int64 in
                var scanner = JSONScanner(UnsafeRawBufferPointer(buffer))
                return try scanner.readInteger()
            }
            #expect(read == value, "\(text)")
        }
    }

    @Test("writes escaped strings, integers and compacted JSON")
    func writes() {
        var writer = JSONWriter()
        writer.string("a\"b\\c\nd\u{01}é")
        writer.byte(UInt8(ascii: ","))
        writer.integer(Int64.min)
        writer.byte(UInt8(ascii: ","))
        writer.integer(UInt64.max)
        writer.byte(UInt8(ascii: ","))
        let spaced = Array(#"{ "a" : [ 1 , "x y" , { } ] }"#.utf8)
        spaced.withUnsafeBytes { writer.compact($0) }
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"b\\c\nd\u0001é",-9223372036854775808,18446744073709551615,{"a":[1,"x y",{}]}"#)
    }

    @Test("writes every number as description does: whole ones without a fraction, others shortest; not finite as null")
    func numbers() {
        var generator = SplitMix64(seed: 42)
        var values: [Double] = [
            0.1, 1.0 / 3, 2.0 / 3, 0.001, 0.0009999, 0.000123, 1e-7, 5e-324, 21.5, -21.25, 999_999_999.999999, 1e9 + 0.5, 123_456.789012,
            0.1 + 0.2, 4.35, 1e21, 1e100, -1e-100, 0x1p63, 9_007_199_254_740_993.0, 0.3333, 12.000001, -0.0,
        ]
        for _ in 0..<20_000 {
            // Decimals of 1 to 8 places, the kind sensors and prices send, and any double at all.
            let places = Int.random(in: 1...8, using: &generator)
            let units = Double(Int64.random(in: -10_000_000_000...10_000_000_000, using: &generator))
            values.append(units / pow10(places))
            values.append(Double(bitPattern: generator.next()))
        }
        for value in values {
            var writer = JSONWriter()
            writer.number(value)
            let written = String(decoding: writer.bytes, as: UTF8.self)
            let expected = !value.isFinite ? "null" : value.rounded(.towardZero) == value && abs(value) < 0x1p63 ? "\(Int64(value))" : value.description
            guard written == expected else {
                Issue.record("\(value.bitPattern): wrote \(written), description gives \(expected)")
                return
            }
        }
    }

    private func pow10(_ exponent: Int) -> Double { (0..<exponent).reduce(1) { value, _ in value * 10 } }
}
