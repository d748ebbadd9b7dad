/// What an append expects of the object's head (its last seq, 0 for a new object).
public enum ExpectedVersion: Hashable, Sendable {
    /// No expectation: append whatever the head is.
    case any
    /// The head must be exactly this; 0 means the object must not exist yet.
    case exactly(UInt64)

    /// Whether an object whose head is `head` meets the expectation.
    public func isMet(byHead head: UInt64) -> Bool {
        switch self {
        case .any: true
        case .exactly(let expected): expected == head
        }
    }
}

/// A global log position: dense, from 1, in commit order across every object.
public typealias Position = UInt64

/// A per-object-branch sequence number: dense, from 1. An object's version is its last seq.
public typealias Seq = UInt64
