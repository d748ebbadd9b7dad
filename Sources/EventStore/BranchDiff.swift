import EventModel

/// What two branches of an object have that the other does not: the seq where their lines part,
/// each side's events after it (at most `limit` each, with the count of all and the seq to read
/// the rest from), and the JSON Patch that turns the `against` branch's view state into the
/// branch's. Lines are compared by place, not by root: a copy a merge made shows on its side.
public struct BranchDiff: Sendable {
    /// The branch compared.
    public let branch: StreamName
    /// The branch it is compared against.
    public let against: StreamName
    /// The last seq both share.
    public let ancestorSeq: Seq
    /// Each side's head.
    public let heads: (branch: Seq, against: Seq)
    let branchEvents: (json: [UInt8], count: Int)
    let againstEvents: (json: [UInt8], count: Int)
    /// The view compared, if the object type has one.
    public let viewName: String?
    /// RFC 6902 operations that turn `against`'s view state into `branch`'s.
    public let patch: [JSONValue]

    /// Reads both sides from `store`: at most `limit` events of each after the common ancestor,
    /// and `view`'s state at each head.
    /// - Throws: ``EventStoreError/branchNotFound(_:)`` when either branch does not exist.
    public init(store: EventStore, branch: StreamName, against: StreamName, view: AnyProjection?, limit: Int) throws(EventStoreError) {
        self.branch = branch
        self.against = against
        let common = try store.commonAncestor(of: branch, and: against)
        ancestorSeq = common.seq
        heads = common.heads
        branchEvents = try Self.events(store, branch, after: common.seq, limit: limit)
        againstEvents = try Self.events(store, against, after: common.seq, limit: limit)
        viewName = view?.name
        if let view {
            let mine = try store.readView(view, of: branch).map { try? $0.state.withUnsafeBytes { try JSONValue(parsing: $0) } } ?? nil
            let theirs = try store.readView(view, of: against).map { try? $0.state.withUnsafeBytes { try JSONValue(parsing: $0) } } ?? nil
            let initial = (try? view.initial()) ?? .null
            patch = JSONPatch.diff(from: theirs ?? initial, to: mine ?? initial)
        } else {
            patch = []
        }
    }

    private static func events(_ store: EventStore, _ stream: StreamName, after: Seq, limit: Int) throws(EventStoreError) -> (json: [UInt8], count: Int) {
        var writer = JSONWriter(capacity: 1024)
        writer.byte(UInt8(ascii: "["))
        var count = 0
        _ = try store.readStream(stream, from: after + 1, limit: limit) { event in
            if count > 0 { writer.byte(UInt8(ascii: ",")) }
            count += 1
            EventJSON.write(event, into: &writer)
        }
        writer.byte(UInt8(ascii: "]"))
        return (writer.bytes, count)
    }

    /// `{"object", "branch", "against", "ancestorSeq", "branchSide": {"head", "count", "events",
    /// "next"}, "againstSide": {...}, "view", "patch"}`; `next` is the seq to read that side's
    /// remaining events from (`GET .../events?branch=&from=`), null when `events` holds them all.
    public func json() -> [UInt8] {
        let object = branch.object
        var writer = JSONWriter(capacity: 1024 + branchEvents.json.count + againstEvents.json.count)
        writer.ascii("{\"object\":")
        writer.string(object.description)
        writer.ascii(",\"branch\":")
        writer.string(branch.branch.name)
        writer.ascii(",\"against\":")
        writer.string(against.branch.name)
        writer.ascii(",\"ancestorSeq\":")
        writer.integer(ancestorSeq)
        side("branchSide", head: heads.branch, events: branchEvents, into: &writer)
        side("againstSide", head: heads.against, events: againstEvents, into: &writer)
        writer.ascii(",\"view\":")
        if let viewName { writer.string(viewName) } else { writer.ascii("null") }
        writer.ascii(",\"patch\":")
        writer.value(.array(patch))
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    private func side(_ name: String, head: Seq, events: (json: [UInt8], count: Int), into writer: inout JSONWriter) {
        let count = head - min(head, ancestorSeq)
        writer.byte(UInt8(ascii: ","))
        writer.string(name)
        writer.ascii(":{\"head\":")
        writer.integer(head)
        writer.ascii(",\"count\":")
        writer.integer(count)
        writer.ascii(",\"events\":")
        writer.bytes.append(contentsOf: events.json)
        writer.ascii(",\"next\":")
        if UInt64(events.count) < count { writer.integer(ancestorSeq + UInt64(events.count) + 1) } else { writer.ascii("null") }
        writer.byte(UInt8(ascii: "}"))
    }
}
