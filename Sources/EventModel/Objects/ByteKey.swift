/// A row key compared and hashed byte by byte (UTF-8), as LMDB compares keys. `String`'s own
/// equality treats canonically equivalent texts (`é` and `e` + U+0301) as one, which would let
/// the rows in memory and the rows in storage disagree about which keys exist.
@frozen
public struct ByteKey: Hashable, Sendable {
    /// The key.
    public let string: String

    /// The key `string`.
    @inlinable
    public init(_ string: String) { self.string = string }

    @inlinable
    public static func == (lhs: ByteKey, rhs: ByteKey) -> Bool {
        var left = lhs.string
        var right = rhs.string
        return left.withUTF8 { left in
            right.withUTF8 { right in
                left.count == right.count && left.elementsEqual(right)
            }
        }
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether `self` sorts before `other`, byte by byte (over the strings' contiguous UTF-8:
    /// a checkpoint sorts thousands of keys).
    @inlinable
    public func precedes(_ other: ByteKey) -> Bool {
        let ordered = string.utf8.withContiguousStorageIfAvailable { left in
            other.string.utf8.withContiguousStorageIfAvailable { right in
                let count = min(left.count, right.count)
                var index = 0
                while index < count {
                    if left[index] != right[index] { return left[index] < right[index] }
                    index += 1
                }
                return left.count < right.count
            }
        }
        return (ordered ?? nil) ?? string.utf8.lexicographicallyPrecedes(other.string.utf8)
    }

    /// Whether the key starts with `prefix`, byte by byte.
    public func hasPrefix(_ prefix: String) -> Bool { string.utf8.starts(with: prefix.utf8) }
}
