/// A condition one view's state must always satisfy (for `inventory`: nothing available below
/// zero). The engine checks an object type's invariants after every event a merge brings into
/// its target (fast-forward or replayed), and refuses the merge at the first event that breaks
/// one. Appends and commands are not checked: deciders refuse what would break them.
///
/// An invariant is checked after every event of a merge, so it should read a keyed view's
/// summary (or a few rows), never scan all its rows.
public struct Invariant: Sendable {
    /// A stable name, e.g. `available-non-negative`.
    public let name: String
    /// What it requires, in words.
    public let summary: String
    /// The view whose state it reads.
    public let viewName: String
    private let check: @Sendable (any Sendable) -> Bool

    /// The invariant `name` over `projection`'s state: `holds` says whether a state meets it.
    public init<P: ViewProjection>(_ name: String, of projection: P, _ summary: String, holds: @escaping @Sendable (P.State) -> Bool) {
        self.name = name
        self.summary = summary
        viewName = projection.name
        check = { state in
            guard let typed = state as? P.State else { return false }
            return holds(typed)
        }
    }

    /// Whether `state` (the view's ``AnyViewState/stateValue``) meets the invariant; a state of
    /// another type does not.
    public func holds(_ state: any Sendable) -> Bool { check(state) }
}
