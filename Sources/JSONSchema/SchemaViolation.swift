/// One way an instance fails its schema: where (``instancePointer``), which keyword, and a
/// message a person can act on.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// An RFC 6901 JSON Pointer to the offending value in the instance; `""` is the root. For
    /// a missing required property it points at the object that lacks it; for a property that
    /// is not allowed, at the property.
    public let instancePointer: String
    /// The keyword that failed, e.g. `minimum`, `required`, `anyOf`; `false` for a `false`
    /// schema met where no specific keyword explains it.
    public let keyword: String
    /// What is wrong, with the expected and the actual value, e.g. `must be >= 0, got -3`.
    public let message: String

    /// A violation at `instancePointer`.
    public init(instancePointer: String, keyword: String, message: String) {
        self.instancePointer = instancePointer
        self.keyword = keyword
        self.message = message
    }

    /// One line for logs: `/items/2/qty: must be >= 1, got -3 [minimum]`.
    public var description: String {
        "\(instancePointer.isEmpty ? "(root)" : instancePointer): \(message) [\(keyword)]"
    }
}

/// One step from a value to a member of it: an object member's name or an array index.
enum InstancePathStep: Sendable, Comparable {
    case index(Int)
    case member(String)

    /// Orders steps the way they appear in a document: elements by index, members by name.
    static func < (left: InstancePathStep, right: InstancePathStep) -> Bool {
        switch (left, right) {
        case (.index(let a), .index(let b)): a < b
        case (.member(let a), .member(let b)): a < b
        case (.index, .member): true
        case (.member, .index): false
        }
    }
}

/// A violation found during evaluation, before it is put into its final order and its path
/// into text. Paths stay as steps until then: they sort by step, and the violations of the
/// alternatives an `anyOf` summarizes are thrown away without ever becoming pointers.
struct PendingViolation {
    var path: [InstancePathStep]
    var keyword: String
    var message: String

    /// Whether `self` comes before `other` in document order: an enclosing location before the
    /// locations inside it, siblings by ``InstancePathStep`` order.
    func precedes(_ other: PendingViolation) -> Bool {
        for (mine, theirs) in zip(path, other.path) where mine != theirs {
            return mine < theirs
        }
        return path.count < other.path.count
    }

    /// `path` as an RFC 6901 JSON Pointer.
    static func pointer(_ path: some Collection<InstancePathStep>) -> String {
        var text = ""
        for step in path {
            text += "/"
            switch step {
            case .index(let index): text += String(index)
            case .member(let name): text += escapedPointerToken(name)
            }
        }
        return text
    }

    /// `token` with `~` and `/` escaped as RFC 6901 §3 requires.
    static func escapedPointerToken(_ token: String) -> String {
        guard token.contains(where: { $0 == "~" || $0 == "/" }) else { return token }
        return token.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    var violation: SchemaViolation {
        SchemaViolation(instancePointer: Self.pointer(path), keyword: keyword, message: message)
    }
}

extension [PendingViolation] {
    /// The violations in document order, stable within one location (keyword order).
    func inDocumentOrder() -> [PendingViolation] {
        enumerated().sorted { left, right in
            if left.element.precedes(right.element) { return true }
            if right.element.precedes(left.element) { return false }
            return left.offset < right.offset
        }.map(\.element)
    }
}
