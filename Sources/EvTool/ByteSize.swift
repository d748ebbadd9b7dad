/// A size given on the command line: a whole number of bytes, or one followed by `KiB`, `MiB`
/// or `GiB` (`512MiB`, `2GiB`).
enum ByteSize {
    /// The bytes `text` says, or nil when it is not such a size (or overflows).
    static func parse(_ text: String) -> Int? {
        let units: [(suffix: String, shift: Int)] = [("KiB", 10), ("MiB", 20), ("GiB", 30)]
        let unit = units.first { text.hasSuffix($0.suffix) }
        let digits = unit.map { String(text.dropLast($0.suffix.count)) } ?? text
        guard let number = Int(digits), number >= 0 else { return nil }
        let shift = unit?.shift ?? 0
        guard number <= Int.max >> shift else { return nil }
        return number << shift
    }
}
