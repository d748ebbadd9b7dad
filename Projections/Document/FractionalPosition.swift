/// Fractional positions: the strings blocks sort by, so a block can always be put between any
/// two others without renumbering anything.
///
/// A position is a base-62 fraction written with the digits `0-9A-Za-z` (in ASCII order, so
/// comparing the strings byte by byte compares the fractions) and never ends in `0`: between
/// `"V"` and `"V0"` there would be no string at all. A block appended after the last one steps
/// the last position up by one digit (61 appends per added character), a block put before the
/// first steps down the same way, and a block put between two takes their midpoint (one
/// character per ~5 inserts at the same spot, the least growth a split can promise).
enum FractionalPosition {
    /// The longest position the schema accepts (`maxLength` of `position`).
    static let lengthMax = 256

    /// The digits in order: `0-9`, `A-Z`, `a-z`.
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let base = 62
    /// The middle digit, `V`: where the first block goes.
    private static let middle = 31

    /// A position strictly between `lower` and `upper` (nil: the start, the end of the
    /// document), or nil when there is none within ``lengthMax`` digits: `upper` not above
    /// `lower`, `upper` equal to `lower` followed by zeros, or a gap narrowed too far.
    static func between(_ lower: String?, _ upper: String?) -> String? {
        switch (lower.map(digits), upper.map(digits)) {
        case (nil, nil): return text([middle])
        case (let lower??, nil): return text(after(lower))
        case (nil, let upper??): return before(upper).flatMap(text)
        case (let lower??, let upper??):
            guard lower.lexicographicallyPrecedes(upper) else { return nil }
            return midpoint(lower[...], upper[...]).flatMap(text)
        default: return nil  // a neighbour's position is not made of base-62 digits
        }
    }

    /// Whether `lhs` sorts before `rhs`: byte order, which is the fractions' order.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// The digit values of `position`; nil if a character is not a base-62 digit.
    private static func digits(_ position: String) -> [Int]? {
        var values: [Int] = []
        values.reserveCapacity(position.utf8.count)
        for byte in position.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(Int(byte - UInt8(ascii: "0")))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(Int(byte - UInt8(ascii: "A")) + 10)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(Int(byte - UInt8(ascii: "a")) + 36)
            default: return nil
            }
        }
        return values.isEmpty ? nil : values
    }

    /// The position of `values`, or nil when it is longer than ``lengthMax``.
    private static func text(_ values: [Int]) -> String? {
        guard values.count <= lengthMax else { return nil }
        return String(decoding: values.map { alphabet[$0] }, as: UTF8.self)
    }

    /// The shortest step above `lower`: its first digit that is not the last digit, plus one.
    private static func after(_ lower: [Int]) -> [Int] {
        guard let index = lower.firstIndex(where: { $0 < base - 1 }) else { return lower + [1] }
        return Array(lower[..<index]) + [lower[index] + 1]
    }

    /// The shortest step below `upper`: its first digit that is not `0`, minus one (and then the
    /// last digit, when that would end in `0`); nil when `upper` is all zeros.
    private static func before(_ upper: [Int]) -> [Int]? {
        guard let index = upper.firstIndex(where: { $0 > 0 }) else { return nil }
        let prefix = Array(upper[..<index])
        return upper[index] > 1 ? prefix + [upper[index] - 1] : prefix + [0, base - 1]
    }

    /// A fraction between `lower` and `upper` (`lower` may be empty: zero), roughly halfway;
    /// nil when none exists (`upper` is `lower` followed by zeros).
    private static func midpoint(_ lower: ArraySlice<Int>, _ upper: ArraySlice<Int>) -> [Int]? {
        let shared = zip(lower, upper).prefix { $0 == $1 }.count
        guard shared < upper.count else { return nil }
        let prefix = Array(upper.prefix(shared))
        let high = upper[upper.startIndex + shared]
        guard shared < lower.count else {
            // `lower` is a prefix of `upper`: something shorter than upper's remaining digits.
            if high >= 2 { return prefix + [high / 2] }
            if high == 1 { return prefix + [0, middle] }
            return midpoint([], upper.dropFirst(shared + 1)).map { prefix + [0] + $0 }
        }
        let low = lower[lower.startIndex + shared]
        if high - low >= 2 { return prefix + [(low + high) / 2] }
        // Consecutive digits: cut `upper` short if it goes on, else go on above `lower`.
        if upper.count > shared + 1 { return prefix + [high] }
        return prefix + [low] + above(lower.dropFirst(shared + 1))
    }

    /// A fraction above `lower` with no bound above, halfway to the top.
    private static func above(_ lower: ArraySlice<Int>) -> [Int] {
        guard let first = lower.first else { return [middle] }
        if first < base - 1 { return [(first + base) / 2] }
        return [base - 1] + above(lower.dropFirst())
    }
}
