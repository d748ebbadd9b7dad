/// Rewrites an ECMA-262 regular expression (the dialect JSON Schema specifies) into the ICU
/// dialect that `NSRegularExpression` speaks, where the two read the same text differently.
///
/// The differences handled are the ones schemas meet: `\d` and `\w` are ASCII-only in ECMA-262
/// (ICU would also match Arabic-Indic digits or accented letters), and `$` matches only at the
/// very end (ICU also matches before a final line break). Everything else is passed through;
/// ICU accepts the rest of the ECMA-262 syntax that schemas use (classes, groups, lookaround,
/// `\p{...}`, `\uFFFF`).
enum ECMAPatternTranslation {
    /// `pattern` in ICU syntax.
    static func icuPattern(for pattern: String) -> String {
        var output = ""
        var inClass = false
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "\\":
                guard let escaped = iterator.next() else {
                    output.append(character)
                    continue
                }
                output += translatedEscape(escaped, inClass: inClass)
            case "[" where !inClass:
                inClass = true
                output.append(character)
            case "]" where inClass:
                inClass = false
                output.append(character)
            case "$" where !inClass:
                output += "\\z"
            default:
                output.append(character)
            }
        }
        return output
    }

    private static let digit = "0-9"
    private static let word = "A-Za-z0-9_"

    /// The ICU text for `\` followed by `escaped`.
    private static func translatedEscape(_ escaped: Character, inClass: Bool) -> String {
        switch escaped {
        case "d": inClass ? digit : "[\(digit)]"
        case "w": inClass ? word : "[\(word)]"
        case "D": "[^\(digit)]"
        case "W": "[^\(word)]"
        default: "\\" + String(escaped)
        }
    }
}
