import EventModel

/// An object with all its branches as a portable file: JSON Lines, written by
/// ``EventStore/export(_:_:)`` and read by ``EventStore/importObject(into:expecting:replacing:_:)``.
///
/// The first line is the header: `{"format": "evlog-object", "version": 1, "object",
/// "branches": [{"name", "parent", "forkSeq", "head"}, ...]}`, parents before their branches.
/// Then each branch's own events (seqs after its fork seq), branch by branch in that order, one
/// per line: `{"branch", "event": {"seq", "position", "id", "type", "data", "metadata", "time"}}`.
/// Ids, data, metadata and commit times are kept, so reads of the imported object are the same.
public enum ObjectArchive {
    /// The header's `format`.
    public static let format = "evlog-object"
    /// The header's `version`.
    public static let version = 1

    /// One branch as the header lists it.
    public struct Branch: Sendable, Equatable {
        /// Its name.
        public let name: BranchName
        /// Its parent; nil for `main`.
        public let parent: BranchName?
        /// The parent's seq it was forked at.
        public let forkSeq: Seq
        /// Its head when exported.
        public let head: Seq
    }

    /// What an archive line failed to be, with its line number.
    public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The 1-based line number.
        public let line: Int
        /// What is wrong with it.
        public let reason: String

        public var description: String { "line \(line): \(reason)" }
    }

    /// The header line for `object` with `branches` (in parent-first order), and the wrapped key
    /// of a sealed archive (``ArchiveSealing``).
    static func header(_ object: ObjectKey, _ branches: [Branch], sealedKey: (wrapped: String, boundTo: String)? = nil) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.ascii("{\"format\":")
        writer.string(format)
        writer.ascii(",\"version\":")
        writer.integer(version)
        writer.ascii(",\"object\":")
        writer.string(object.description)
        writer.ascii(",\"branches\":[")
        for (index, branch) in branches.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.ascii("{\"name\":")
            writer.string(branch.name.name)
            writer.ascii(",\"parent\":")
            if let parent = branch.parent { writer.string(parent.name) } else { writer.ascii("null") }
            writer.ascii(",\"forkSeq\":")
            writer.integer(branch.forkSeq)
            writer.ascii(",\"head\":")
            writer.integer(branch.head)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "]"))
        if let sealedKey {
            writer.ascii(",\"sealedKey\":{\"wrapped\":")
            writer.string(sealedKey.wrapped)
            writer.ascii(",\"boundTo\":")
            writer.string(sealedKey.boundTo)
            writer.byte(UInt8(ascii: "}"))
        }
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Reads a header line: the object, its branches (parents first), and the wrapped key when
    /// the archive is sealed.
    static func parseHeader(_ line: [UInt8]) throws(ArchiveError) -> (object: ObjectKey, branches: [Branch], sealedKey: (wrapped: String, boundTo: String)?) {
        let value: JSONValue
        do { value = try line.withUnsafeBytes { try JSONValue(parsing: $0) } } catch { throw ArchiveError(line: 1, reason: "the header is not JSON: \(error)") }
        guard value["format"]?.stringValue == format else { throw ArchiveError(line: 1, reason: "not an \(format) archive (format is missing or other)") }
        guard value["version"]?.integerValue == version else { throw ArchiveError(line: 1, reason: "archive version \(value["version"]?.jsonText ?? "none") is not \(version)") }
        guard let objectText = value["object"]?.stringValue, let object = try? ObjectKey(parsing: objectText) else {
            throw ArchiveError(line: 1, reason: "object must be TYPE/ID")
        }
        guard case .array(let list)? = value["branches"], !list.isEmpty else { throw ArchiveError(line: 1, reason: "branches must list main at least") }
        var branches: [Branch] = []
        for (index, item) in list.enumerated() {
            guard let nameText = item["name"]?.stringValue, let name = try? BranchName(nameText),
                let forkSeq = item["forkSeq"]?.integerValue, forkSeq >= 0, let head = item["head"]?.integerValue, head >= forkSeq
            else { throw ArchiveError(line: 1, reason: "branches/\(index) needs a valid name, forkSeq and head") }
            var parent: BranchName?
            if let parentText = item["parent"]?.stringValue {
                guard let parentName = try? BranchName(parentText), branches.contains(where: { $0.name == parentName }) else {
                    throw ArchiveError(line: 1, reason: "branches/\(index): its parent \(parentText) must be listed before it")
                }
                parent = parentName
            }
            guard (parent == nil) == (index == 0 && name == .main) else {
                throw ArchiveError(line: 1, reason: "branches/\(index): main comes first, with no parent; every other branch has one")
            }
            branches.append(Branch(name: name, parent: parent, forkSeq: UInt64(forkSeq), head: UInt64(head)))
        }
        var sealedKey: (wrapped: String, boundTo: String)?
        if let key = value["sealedKey"] {
            guard let wrapped = key["wrapped"]?.stringValue, let boundTo = key["boundTo"]?.stringValue else {
                throw ArchiveError(line: 1, reason: "sealedKey must hold wrapped and boundTo")
            }
            sealedKey = (wrapped, boundTo)
        }
        return (object, branches, sealedKey)
    }
}
