/// A coding key the encoder and decoder make up themselves: the position of an element in an
/// unkeyed container, or the `super` member a default `superEncoder()` / `superDecoder()` uses.
///
/// An index key's `stringValue` is the decimal index, so every key of a coding path spells its
/// own JSON Pointer token (``jsonPointer(_:)``).
struct PositionKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }

    /// The key Swift's default `superEncoder()` and `superDecoder()` use.
    static let superKey = PositionKey(stringValue: "super")
}

/// The RFC 6901 JSON Pointer of a coding path: `""` for the root, else `/` before each key's
/// `stringValue` with `~` written `~0` and `/` written `~1` (`[items, 0, qty]` is `/items/0/qty`).
///
/// Keyed containers store members under `stringValue`, even for keys that also have an
/// `intValue`, and array positions are ``PositionKey``s whose `stringValue` is the index, so the
/// pointer names the same place the encoder wrote or the decoder read.
func jsonPointer(_ codingPath: [any CodingKey]) -> String {
    var pointer = ""
    for key in codingPath {
        pointer.append("/")
        for character in key.stringValue {
            switch character {
            case "~": pointer.append("~0")
            case "/": pointer.append("~1")
            default: pointer.append(character)
            }
        }
    }
    return pointer
}

extension JSONValue {
    /// What this value is, for messages: `null`, `a Boolean`, `a string`, `an array`, `an object`,
    /// or the number itself (`1.5`, `300`), since numbers are what range errors are about.
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a Boolean"
        case .number(let number): number.isFinite ? jsonText : "\(number)"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
