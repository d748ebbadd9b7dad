import EventModel

/// The limits `Schemas/document.schema.json` puts on event members, checked on the commands so
/// that every event a decider writes validates. Lengths count Unicode code points, as JSON
/// Schema's `minLength`/`maxLength` do.
enum DocumentLimits {
    /// `userId` and `blockId`: 1 to 128.
    static let identifierLengthMax = 128
    /// `userName`: 1 to 200.
    static let userNameLengthMax = 200
    /// A block's `text`: 0 to 100,000.
    static let textLengthMax = 100_000

    /// Refuses a `userId` or `blockId` at `pointer` that is empty or too long.
    static func checkIdentifier(_ value: String, at pointer: String) throws(Rejection) {
        try checkLength(value, at: pointer, 1...identifierLengthMax)
    }

    /// Refuses a `userName` that is empty or too long.
    static func checkUserName(_ value: String, at pointer: String) throws(Rejection) {
        try checkLength(value, at: pointer, 1...userNameLengthMax)
    }

    /// Refuses a block's text that is too long.
    static func checkText(_ value: String, at pointer: String) throws(Rejection) {
        try checkLength(value, at: pointer, 0...textLengthMax)
    }

    private static func checkLength(_ value: String, at pointer: String, _ allowed: ClosedRange<Int>) throws(Rejection) {
        // Counting stops past the maximum: a 10 MB text costs no more than a 100 KB one.
        let length = value.unicodeScalars.prefix(allowed.upperBound + 1).count
        guard allowed.contains(length) else {
            let problem = length < allowed.lowerBound ? "must not be empty" : "is longer than \(allowed.upperBound) characters"
            throw .invalidMember(
                pointer, problem, ["minLength": .number(Double(allowed.lowerBound)), "maxLength": .number(Double(allowed.upperBound))])
        }
    }
}
