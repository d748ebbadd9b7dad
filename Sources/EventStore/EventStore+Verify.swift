import EventModel
import LMDB

/// What `verify` found for one object branch.
public struct VerifyFinding: Sendable, Equatable {
    /// The object branch.
    public let stream: StreamName
    /// What disagrees: `view stock`, `snapshot stock@2000`, or `events` for a damaged record.
    public let subject: String
    /// Why, in words.
    public let problem: String
}

/// What `verify` checked.
public struct VerifySummary: Sendable, Equatable {
    /// Object branches checked.
    public var objects = 0
    /// Stored view states compared.
    public var views = 0
    /// Snapshots compared.
    public var snapshots = 0
    /// Events folded.
    public var events: UInt64 = 0
    /// Disagreements found.
    public var findings: [VerifyFinding] = []
}

extension EventStore {
    /// Folds objects again from their events alone and compares the result with their stored
    /// view states and every snapshot (CRC-32C of the state's JSON): a difference means a
    /// non-deterministic reducer or damaged storage. Checks every live branch of `type` (nil:
    /// every type with views), or a random `sample` of them; `progress` gets (done, total).
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
                    guard parts.count == 2, let object = try? ObjectKey(parsing: String(decoding: parts[0], as: UTF8.self)),
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
        let folder = ViewFolder(layout: layout)
        for (index, candidate) in candidates.enumerated() {
            do {
                try read { transaction in
                    try verify(candidate.number, candidate.stream, candidate.definition, folder: folder, into: &summary, in: transaction)
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
        _ number: UInt64, _ stream: StreamName, _ definition: ObjectTypeDefinition, folder: ViewFolder, into summary: inout VerifySummary,
        in transaction: ReadTransaction
    ) throws {
        let lineage = try layout.lineage(of: number, in: transaction)
        let head = try layout.head(of: lineage, in: transaction)
        for view in definition.views {
            let stored = try StoredView.read(stream: number, name: view.name, layout: layout, transaction: transaction)
            let snapshots = try snapshotChecksums(of: view, stream: number, in: transaction)
            let seqs = (snapshots.map(\.seq).filter { $0 <= head } + [head]).sorted()
            let states = try folder.statesFromScratch(of: view, lineage: lineage, at: seqs, in: transaction)
            summary.events += head
            let expected = Dictionary(zip(seqs, states.map(Self.checksum)), uniquingKeysWith: { first, _ in first })
            for snapshot in snapshots {
                summary.snapshots += 1
                if snapshot.version != view.version { continue }
                guard let checksum = expected[snapshot.seq] else {
                    summary.findings.append(VerifyFinding(stream: stream, subject: "snapshot \(view.name)@\(snapshot.seq)", problem: "it is past the head (\(head))"))
                    continue
                }
                if checksum != snapshot.checksum {
                    summary.findings.append(
                        VerifyFinding(
                            stream: stream, subject: "snapshot \(view.name)@\(snapshot.seq)",
                            problem: "its checksum \(Self.hex(snapshot.checksum)) is not the folded state's \(Self.hex(checksum))"))
                }
            }
            guard let stored, head > lineage.forkSeq else { continue }
            summary.views += 1
            if stored.version != view.version {
                summary.findings.append(
                    VerifyFinding(stream: stream, subject: "view \(view.name)", problem: "stored by version \(stored.version), the code is at \(view.version); run evtool rebuild \(view.name)"))
            } else if stored.seq != head {
                summary.findings.append(VerifyFinding(stream: stream, subject: "view \(view.name)", problem: "stored at seq \(stored.seq), the head is \(head)"))
            } else if Self.checksum(stored.state) != expected[head] {
                summary.findings.append(
                    VerifyFinding(
                        stream: stream, subject: "view \(view.name)",
                        problem: "the stored state (\(Self.hex(Self.checksum(stored.state)))) is not the folded one (\(Self.hex(expected[head] ?? 0)))"))
            }
        }
    }

    /// Each snapshot of `view` for `stream`: its seq, view version and stored checksum.
    private func snapshotChecksums(of view: AnyProjection, stream: UInt64, in transaction: ReadTransaction) throws -> [(seq: Seq, version: Int, checksum: UInt32)] {
        var found: [(seq: Seq, version: Int, checksum: UInt32)] = []
        let prefix = SnapshotKeys.withKey(stream: stream, name: view.name, seq: 0) { Array($0.prefix($0.count - 8)) }
        try transaction.withCursor(layout.snapshots) { cursor in
            var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                if current.value.count > 12 {
                    found.append(
                        (
                            StoreKeys.integer(current.key, at: prefix.count), Int(UInt32(littleEndian: current.value.loadUnaligned(as: UInt32.self))),
                            UInt32(littleEndian: current.value.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                        ))
                }
                entry = try cursor.next()
            }
        }
        return found
    }

    private static func checksum(_ state: JSONValue) -> UInt32 {
        var writer = JSONWriter(capacity: 256)
        writer.value(state)
        return writer.bytes.withUnsafeBytes { CRC32C.checksum($0) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
