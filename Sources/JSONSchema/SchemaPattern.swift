import Foundation

/// A `pattern` or `patternProperties` regular expression, compiled once; ECMA-262 syntax,
/// unanchored, as JSON Schema specifies.
struct SchemaPattern: Sendable {
    /// The pattern as written in the schema, for messages.
    let source: String
    private let expression: NSRegularExpression

    /// Compiles `source`; nil when it is not a valid regular expression.
    init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: ECMAPatternTranslation.icuPattern(for: source)) else {
            return nil
        }
        self.source = source
        self.expression = expression
    }

    /// Whether the pattern matches somewhere in `text`.
    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// Rewrites an ECMA-262 regular expression (the dialect JSON Schema specifies) into the ICU
/// dialect that `NSRegularExpression` speaks, where the two read the same text differently.
///
/// The differences handled are the ones schemas meet: `\d` and `\w` are ASCII-only in ECMA-262
/// (ICU would also match Arabic-Indic digits or accented letters), `$` matches only at the
/// very end (ICU also matches before a final line break), and `[` and `&` inside a class are
/// plain characters (ICU reads nested sets and `&&` there). Everything else is passed through;
/// ICU accepts the rest of the ECMA-262 syntax that schemas use (classes, groups, lookaround,
/// `\p{...}`, `\uFFFF`).
enum ECMAPatternTranslation {
    /// `pattern` in ICU syntax.
    static func icuPattern(for pattern: String) -> String {
        var output = ""
        var inClass = false
        var iterator = pattern.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar {
            case "\\":
                guard let escaped = iterator.next() else {
                    output.unicodeScalars.append(scalar)
                    continue
                }
                output += translatedEscape(escaped, inClass: inClass)
            case "[" where !inClass:
                inClass = true
                output += "["
            case "[" where inClass, "&" where inClass:
                output += "\\" + String(scalar)
            case "]" where inClass:
                inClass = false
                output += "]"
            case "$" where !inClass:
                output += "\\z"
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    private static let digit = "0-9"
    private static let word = "A-Za-z0-9_"

    /// The ICU text for `\` followed by `escaped`.
    private static func translatedEscape(_ escaped: Unicode.Scalar, inClass: Bool) -> String {
        switch escaped {
        case "d": inClass ? digit : "[\(digit)]"
        case "w": inClass ? word : "[\(word)]"
        case "D": "[^\(digit)]"
        case "W": "[^\(word)]"
        default: "\\" + String(escaped)
        }
    }
}
