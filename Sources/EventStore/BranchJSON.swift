import EventModel

/// How branches and merges look in JSON, for the server and `evtool` alike.
public enum BranchJSON {
    /// `{"object", "name", "parent", "forkSeq", "head", "created", "merges": [{"from",
    /// "fromSeq", "head"}]}` (the last merge into it from each branch; a fork's answer has none).
    public static func write(_ info: BranchInfo, of object: ObjectKey, into writer: inout JSONWriter) {
        writer.ascii("{\"object\":")
        writer.string(object.description)
        writer.ascii(",\"name\":")
        writer.string(info.name.name)
        writer.ascii(",\"parent\":")
        if let parent = info.parent { writer.string(parent.name) } else { writer.ascii("null") }
        writer.ascii(",\"forkSeq\":")
        writer.integer(info.forkSeq)
        writer.ascii(",\"head\":")
        writer.integer(info.head)
        writer.ascii(",\"created\":")
        writer.integer(info.createdMilliseconds)
        writer.ascii(",\"merges\":[")
        for (index, merge) in info.merges.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"from\":")
            writer.string(merge.from.name)
            writer.ascii(",\"fromSeq\":")
            writer.integer(merge.fromSeq)
            writer.ascii(",\"head\":")
            writer.integer(merge.head)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.ascii("]}")
    }

    /// `{"object", "branches": [...]}`.
    public static func write(_ branches: [BranchInfo], of object: ObjectKey, into writer: inout JSONWriter) {
        writer.ascii("{\"object\":")
        writer.string(object.description)
        writer.ascii(",\"branches\":[")
        for (index, info) in branches.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            write(info, of: object, into: &writer)
        }
        writer.ascii("]}")
    }

    /// `{"object", "branch", "into", "merge", "events", "version"}`; `merge` is `fast-forward`,
    /// `replayed` or `up-to-date` (nothing to bring).
    public static func write(merge outcome: MergeOutcome, from source: BranchName, into writer: inout JSONWriter) {
        writer.ascii("{\"object\":")
        writer.string(outcome.target.object.description)
        writer.ascii(",\"branch\":")
        writer.string(source.name)
        writer.ascii(",\"into\":")
        writer.string(outcome.target.branch.name)
        writer.ascii(",\"merge\":")
        writer.string(outcome.mode?.rawValue ?? "up-to-date")
        writer.ascii(",\"events\":")
        writer.integer(outcome.events)
        writer.ascii(",\"version\":")
        writer.integer(outcome.version)
        writer.byte(UInt8(ascii: "}"))
    }
}
