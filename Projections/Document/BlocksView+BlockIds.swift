import EventModel

extension KeyedState where Summary == BlocksView.Summary, Row == BlocksView.Block {
    /// A block id for an insert that names none: the decision time and a number, both in
    /// base 62, the number starting at the block count and going up until the id is used by no
    /// block and no undo entry. The same state and time always give the same id.
    ///
    /// The view keeps no counter, so undoing an insert leaves it exactly as it was; the price is
    /// that an id nothing refers to any more can come back, within the same millisecond only.
    func generatedBlockId(at timeMilliseconds: Int64) -> String {
        var undone = Set<String>()
        for editor in summary.editors.values { undone.formUnion(editor.undo.map(\.blockId)) }
        let prefix = Self.base62(UInt64(max(0, timeMilliseconds))) + "-"
        var number = UInt64(max(0, summary.blocks))
        while block(prefix + Self.base62(number)) != nil || undone.contains(prefix + Self.base62(number)) { number += 1 }
        return prefix + Self.base62(number)
    }

    private static func base62(_ value: UInt64) -> String {
        let alphabet = FractionalPosition.alphabet
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(alphabet[Int(rest % 62)])
            rest /= 62
        } while rest > 0
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
