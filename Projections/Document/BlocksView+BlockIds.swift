extension BlocksView.State {
    /// A block id for an insert that names none: the decision time and a number, both in
    /// base 62, the number starting at the block count and going up until the id is used by no
    /// block and no undo entry. The same state and time always give the same id.
    ///
    /// The view keeps no counter, so undoing an insert leaves it exactly as it was; the price is
    /// that an id nothing refers to any more can come back, within the same millisecond only.
    func generatedBlockId(at timeMilliseconds: Int64) -> String {
        var used = Set(blocks.map(\.blockId))
        for editor in editors.values { used.formUnion(editor.undo.map(\.blockId)) }
        let prefix = Self.base62(UInt64(max(0, timeMilliseconds))) + "-"
        var number = UInt64(blocks.count)
        while used.contains(prefix + Self.base62(number)) { number += 1 }
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
