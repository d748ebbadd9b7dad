import EventModel
import LMDB

/// What `verify` found for one object branch.
public struct VerifyFinding: Sendable, Equatable {
    /// The object branch.
    public let stream: StreamName
    /// What disagrees: `view stock`, `snapshot stock@2000`, `row stock/o-1@2000`, or `events`
    /// for a damaged record.
    public let subject: String
    /// Why, in words.
    public let problem: String
}

/// What `verify` checked.
public struct VerifySummary: Sendable, Equatable {
    /// Object branches checked.
    public var objects = 0
    /// Views checked (one per object branch and view).
    public var views = 0
    /// Snapshots compared.
    public var snapshots = 0
    /// Rows of keyed views compared, at each one's newest snapshot.
    public var rows = 0
    /// Events folded.
    public var events: UInt64 = 0
    /// Disagreements found.
    public var findings: [VerifyFinding] = []
}

extension EventStore {
    /// Folds objects again from their events alone and compares the result with every snapshot
    /// of their views (CRC-32C of the summary's JSON) and, for keyed views, with every row stored
    /// as of the newest snapshot, row by row: a difference means a non-deterministic reducer or
    /// damaged storage. Checks every live branch of `type` (nil: every type with views), or a
    /// random `sample` of them; `progress` gets (done, total). A keyed view is folded with all
    /// its rows in memory.
    public func verify(
        type: String? = nil, sample: Int? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(EventStoreError) -> VerifySummary {
        var candidates: [(number: UInt64, stream: StreamName, definition: ObjectTypeDefinition)] = []
        try read { transaction in
            try transaction.withCursor(layout.streams) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    let number = StoreKeys.integer(current.key)
                    let storageKey = Array(current.value[StreamRecord.headerBytes...])
                    entry = try cursor.next()
                    let parts = storageKey.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2, let object = try? Array(parts[0]).withUnsafeBytes({ bytes throws(NameError) in try ObjectKey(storageName: bytes) }),
                        let branch = try? BranchName(String(decoding: parts[1], as: UTF8.self)),
                        let definition = objectTypes[object.type.name], type == nil || object.type.name == type,
                        try layout.streamNumber(storageKey, in: transaction) == number
                    else { continue }
                    candidates.append((number, StreamName(object: object, branch: branch), definition))
                }
            }
        }
        if let sample, sample < candidates.count {
            var generator = SystemRandomNumberGenerator()
            candidates.shuffle(using: &generator)
            candidates = Array(candidates.prefix(sample)).sorted { $0.number < $1.number }
        }
        var summary = VerifySummary()
        for (index, candidate) in candidates.enumerated() {
            do {
                try read { transaction in
                    try verify(candidate.number, candidate.stream, candidate.definition, into: &summary, in: transaction)
                }
            } catch .corruptRecord(let position, let reason) {
                summary.findings.append(VerifyFinding(stream: candidate.stream, subject: "events", problem: "position \(position): \(reason)"))
            }
            summary.objects += 1
            progress(index + 1, candidates.count)
        }
        return summary
    }

    private func verify(
        _ number: UInt64, _ stream: StreamName, _ definition: ObjectTypeDefinition, into summary: inout VerifySummary, in transaction: ReadTransaction
    ) throws {
        let lineage = try layout.lineage(of: number, in: transaction)
        let head = try layout.head(of: lineage, in: transaction)
        let folder = ViewFolder(layout: layout)
        for view in definition.views {
            let snapshots = try snapshotChecksums(of: view, stream: number, in: transaction)
            summary.snapshots += snapshots.count
            summary.views += 1
            for snapshot in snapshots where snapshot.seq > head {
                summary.findings.append(VerifyFinding(stream: stream, subject: "snapshot \(view.name)@\(snapshot.seq)", problem: "it is past the head (\(head))"))
            }
            let current = snapshots.filter { $0.version == view.version && $0.seq <= head }.sorted { $0.seq < $1.seq }
            if current.isEmpty, let other = snapshots.last, other.version != view.version {
                summary.findings.append(
                    VerifyFinding(
                        stream: stream, subject: "view \(view.name)",
                        problem: "its snapshots are of version \(other.version), the code is at \(view.version); run evtool rebuild \(view.name)"))
            }
            // Past a retention horizon only the states at it are left to start from.
            var base: (seq: Seq, summary: JSONValue)?
            if let horizon = lineage.horizon {
                base = try folder.base(of: view, lineage: lineage, at: horizon.seq, in: transaction).base
                guard base?.seq == horizon.seq else {
                    summary.findings.append(
                        VerifyFinding(stream: stream, subject: "snapshot \(view.name)@\(horizon.seq)", problem: "the retention horizon has no usable snapshot"))
                    continue
                }
            }
            let fold = try ViewFolder.makeFold(view, lineage: lineage, base: base, layout: layout, context: RowReadContext(transaction))
            for snapshot in current where snapshot.seq > base?.seq ?? 0 {
                try folder.advance(fold, lineage: lineage, through: snapshot.seq, in: transaction)
                let checksum = try fold.summaryJSON().withUnsafeBytes { CRC32C.checksum($0) }
                if checksum != snapshot.checksum {
                    summary.findings.append(
                        VerifyFinding(
                            stream: stream, subject: "snapshot \(view.name)@\(snapshot.seq)",
                            problem: "its checksum \(Self.hex(snapshot.checksum)) is not the folded summary's \(Self.hex(checksum))"))
                }
            }
            if view.isKeyed, let newest = current.last, newest.seq > base?.seq ?? 0 {
                try compareRows(of: view, stream: stream, lineage: lineage, at: newest.seq, folded: fold, whole: base == nil, into: &summary, in: transaction)
            }
            summary.events += head - (base?.seq ?? 0)
        }
    }

    /// Compares, row by row, the rows of `view` stored as of the snapshot at `seq` with those of
    /// `folded` (folded to `seq`: from scratch when `whole`, else from a retention horizon,
    /// whose rows are taken as stored: then only the rows the fold changed are compared).
    private func compareRows(
        of view: AnyProjection, stream: StreamName, lineage: Lineage, at seq: Seq, folded: any FoldedView, whole: Bool,
        into summary: inout VerifySummary, in transaction: ReadTransaction
    ) throws {
        let stored = StoredRows(layout: layout, lineage: lineage, view: view.name, version: view.version, bound: seq)
        guard whole else {
            let changed = try folded.changedRows(since: 0)
            for row in changed where try stored.version(of: row.key, in: transaction)?.json != row.json {
                summary.findings.append(VerifyFinding(stream: stream, subject: "row \(view.name)/\(row.key)@\(seq)", problem: "stored differs from the fold since the retention horizon"))
            }
            summary.rows += changed.count
            return
        }
        var expected: [ByteKey: [UInt8]] = [:]
        for row in try folded.changedRows(since: 0) {
            if let json = row.json { expected[ByteKey(row.key)] = json }
        }
        var cursor = ""
        var found = 0
        var seen = Set<ByteKey>()
        while let row = try stored.neighbour(of: cursor, within: "", after: true, including: cursor.isEmpty, in: transaction) {
            cursor = row.key
            let key = ByteKey(row.key)
            seen.insert(key)
            found += 1
            if let json = expected[key] {
                if json != row.json {
                    summary.findings.append(
                        VerifyFinding(
                            stream: stream, subject: "row \(view.name)/\(row.key)@\(seq)",
                            problem: "stored \(String(decoding: row.json, as: UTF8.self)), folded \(String(decoding: json, as: UTF8.self))"))
                }
            } else {
                summary.findings.append(VerifyFinding(stream: stream, subject: "row \(view.name)/\(row.key)@\(seq)", problem: "stored, but the fold has no such row"))
            }
        }
        for key in expected.keys where !seen.contains(key) {
            summary.findings.append(VerifyFinding(stream: stream, subject: "row \(view.name)/\(key.string)@\(seq)", problem: "folded, but not stored"))
        }
        summary.rows += max(found, expected.count)
    }

    /// Each snapshot of `view` for `stream`: its seq, view version and stored checksum.
    private func snapshotChecksums(of view: AnyProjection, stream: UInt64, in transaction: ReadTransaction) throws -> [(seq: Seq, version: Int, checksum: UInt32)] {
        var found: [(seq: Seq, version: Int, checksum: UInt32)] = []
        let prefix = SnapshotKeys.withKey(stream: stream, name: view.name, seq: 0) { Array($0.prefix($0.count - 8)) }
        try transaction.withCursor(layout.snapshots) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                if current.value.count > 12, let plain = try layout.plainSnapshot(current.value, recordKey: current.key, stream: stream, in: transaction),
                    plain.count > 12
                {
                    found.append(
                        (
                            StoreKeys.integer(current.key, at: prefix.count), Int(UInt32(littleEndian: plain.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })),
                            UInt32(littleEndian: plain.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) })
                        ))
                }
                entry = try cursor.next()
            }
        }
        return found
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
