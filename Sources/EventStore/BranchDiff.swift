import EventModel

/// What two branches of an object have that the other does not: the seq where their lines part,
/// each side's events after it (at most `limit` each, with the count of all and the seq to read
/// the rest from), and the JSON Patch that turns the `against` branch's view into the branch's
/// (for a keyed view, its summary and, under `/rows/KEY`, the rows either side changed since the
/// lines parted: the diff costs the events after the fork, not the view's size). Lines are
/// compared by place, not by root: a copy a merge made shows on its side.
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
            patch = try store.viewPatch(view, from: against, to: branch, after: common.seq)
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

extension EventStore {
    /// The RFC 6902 operations that turn `view` of `from` into `view` of `to`, two branches whose
    /// lines share the events up to `ancestor`: the summaries' difference, and for a keyed view
    /// the rows either side changed after `ancestor`, under `/rows/KEY`.
    func viewPatch(_ view: AnyProjection, from: StreamName, to: StreamName, after ancestor: Seq) throws(EventStoreError) -> [JSONValue] {
        try read { transaction in
            var sides: [(summary: JSONValue, fold: any FoldedView)] = []
            for stream in [from, to] {
                guard let number = try layout.streamNumber(stream.storageKey, in: transaction) else { throw EventStoreError.branchNotFound(stream) }
                let lineage = try layout.lineage(of: number, in: transaction)
                let head = try layout.head(of: lineage, in: transaction)
                let folder = ViewFolder(layout: layout)
                // From a snapshot at or below the point where the lines part, so the rows changed
                // after it are those the fold holds.
                let base = try folder.base(of: view, lineage: lineage, at: ancestor, in: transaction).base
                let fold = try ViewFolder.makeFold(view, lineage: lineage, base: base, layout: layout, context: RowReadContext(transaction))
                try folder.advance(fold, lineage: lineage, through: head, in: transaction)
                sides.append((try fold.summaryJSON().withUnsafeBytes { try JSONValue(parsing: $0) }, fold))
            }
            var operations = JSONPatch.diff(from: sides[0].summary, to: sides[1].summary)
            guard view.isKeyed else { return operations }
            var keys = Set<ByteKey>()
            for side in sides {
                for row in try side.fold.changedRows(since: ancestor) { keys.insert(ByteKey(row.key)) }
            }
            for key in keys.sorted(by: { $0.precedes($1) }) {
                let values = try sides.map { side in
                    try side.fold.rows(RowQuery(.key(key.string)), in: transaction).rows.first.map { row in
                        try row.json.withUnsafeBytes { try JSONValue(parsing: $0) }
                    }
                }
                let path = JSONPatch.pointer(of: ["rows", key.string])
                switch (values[0], values[1]) {
                case (nil, let added?): operations.append(["op": "add", "path": .string(path), "value": added])
                case (_?, nil): operations.append(["op": "remove", "path": .string(path)])
                case (let old?, let new?) where old != new: operations.append(["op": "replace", "path": .string(path), "value": new])
                default: break
                }
            }
            return operations
        }
    }
}
