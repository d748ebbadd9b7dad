import EventModel

/// Turns the event lines of an ``ObjectArchive`` into import requests of at most
/// ``chunkEvents`` events, checking that each branch's seqs follow on from its fork seq.
struct ArchiveImporter {
    static let chunkEvents = 4_096

    let object: ObjectKey
    let branches: [ObjectArchive.Branch]
    private var created: Set<BranchName> = []
    private var current: (branch: ObjectArchive.Branch, batch: EventBatch, times: [Int64], firstSeq: Seq)?
    private var nextSeq: [BranchName: Seq] = [:]
    private var lastTime: [BranchName: Int64] = [:]
    /// The latest commit time accepted: now, on the importing store's clock.
    private let timeMax: Int64
    private(set) var imported = 0

    init(object: ObjectKey, branches: [ObjectArchive.Branch], nowMilliseconds: Int64) {
        self.object = object
        self.branches = branches
        self.timeMax = nowMilliseconds
        for branch in branches { nextSeq[branch.name] = branch.forkSeq + 1 }
    }

    /// Adds one event line; returns a full request to append, if the line completed one.
    mutating func add(_ line: [UInt8], lineNumber: Int) throws(ObjectArchive.ArchiveError) -> (branch: ObjectArchive.Branch, request: AppendRequest)? {
        var branchName: String?
        var event: (seq: Int64, position: Int64?, id: EventID, type: [UInt8], data: Range<Int>, metadata: Range<Int>?, time: Int64)?
        do {
            try line.withUnsafeBytes { bytes in
                var scanner = JSONScanner(bytes)
                try scanner.readObject { key, value in
                    switch key {
                    case "branch": branchName = try value.readString()
                    case "event": event = try Self.readEvent(&value)
                    default: _ = try value.skipValue()
                    }
                }
            }
        } catch {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "not an event line: \(error)")
        }
        guard let branchName, let branch = branches.first(where: { $0.name.name == branchName }) else {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "branch \(branchName ?? "(missing)") is not in the header")
        }
        guard let event else { throw ObjectArchive.ArchiveError(line: lineNumber, reason: "event is missing or lacks seq, id, type, data or time") }
        guard event.seq >= 1, UInt64(event.seq) == nextSeq[branch.name], UInt64(event.seq) <= branch.head else {
            throw ObjectArchive.ArchiveError(
                line: lineNumber, reason: "\(branchName) seq \(event.seq) is out of order; expected \(nextSeq[branch.name] ?? 0) (head \(branch.head))")
        }
        var finished: (branch: ObjectArchive.Branch, request: AppendRequest)?
        if let open = current, open.branch.name != branch.name || open.batch.count >= Self.chunkEvents {
            finished = request(open)
            current = nil
        }
        if current == nil { current = (branch, EventBatch(limits: .unbounded), [], UInt64(event.seq)) }
        if let last = lastTime[branch.name], event.time < last {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "time \(event.time) is before the previous event's (\(last))")
        }
        guard event.time <= timeMax else {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "time \(event.time) is in the future (now is \(timeMax))")
        }
        // Stored as compact JSON objects, as appends are.
        var data = JSONWriter(capacity: event.data.count)
        var metadata = JSONWriter(capacity: event.metadata?.count ?? 0)
        line.withUnsafeBytes { bytes in
            data.compact(UnsafeRawBufferPointer(rebasing: bytes[event.data]))
            if let range = event.metadata { metadata.compact(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        }
        guard data.bytes.first == UInt8(ascii: "{"), metadata.bytes.isEmpty || metadata.bytes.first == UInt8(ascii: "{") else {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "an event's data and metadata must be JSON objects")
        }
        do {
            try line.withUnsafeBytes { bytes in
                try data.bytes.withUnsafeBytes { data in
                    try metadata.bytes.withUnsafeBytes { metadata in
                        try event.type.withUnsafeBytes { type in try current!.batch.add(id: event.id, type: type, data: data, metadata: metadata) }
                    }
                }
            }
        } catch {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "\(error)")
        }
        current!.times.append(event.time)
        lastTime[branch.name] = event.time
        nextSeq[branch.name] = UInt64(event.seq) + 1
        imported += 1
        return finished
    }

    /// The last request, if events are left.
    mutating func finish() -> [(branch: ObjectArchive.Branch, request: AppendRequest)] {
        defer { current = nil }
        return current.map { [request($0)] } ?? []
    }

    /// Creates `branch` (forked from its parent at its fork seq) unless it exists already, and
    /// its ancestors first.
    mutating func prepare(_ branch: ObjectArchive.Branch, in store: EventStore) async throws {
        guard let parent = branch.parent, !created.contains(branch.name) else { return }
        if let parentBranch = branches.first(where: { $0.name == parent }) { try await prepare(parentBranch, in: store) }
        _ = try await store.createBranch(branch.name, of: object, from: parent, at: branch.forkSeq)
        created.insert(branch.name)
    }

    /// Creates the branches that have no events of their own.
    mutating func createRemaining(in store: EventStore) async throws {
        for branch in branches { try await prepare(branch, in: store) }
    }

    /// Checks every branch got all its events.
    func checkComplete() throws(ObjectArchive.ArchiveError) {
        for branch in branches where nextSeq[branch.name] != branch.head + 1 {
            throw ObjectArchive.ArchiveError(
                line: 0, reason: "\(branch.name) ends at seq \((nextSeq[branch.name] ?? 1) - 1) but the header says its head is \(branch.head)")
        }
    }

    private func request(_ open: (branch: ObjectArchive.Branch, batch: EventBatch, times: [Int64], firstSeq: Seq)) -> (branch: ObjectArchive.Branch, request: AppendRequest) {
        let stream = StreamName(object: object, branch: open.branch.name)
        return (open.branch, AppendRequest(importing: stream, expectedVersion: .exactly(open.firstSeq - 1), events: open.batch, times: open.times))
    }

    /// The members of an event as ``EventJSON`` writes it (data and metadata as ranges of what
    /// the scanner reads; `position` when it has one), or nil when one it needs is missing. An
    /// archive's lines and an incremental backup's share it.
    static func readEvent(
        _ scanner: inout JSONScanner
    ) throws -> (seq: Int64, position: Int64?, id: EventID, type: [UInt8], data: Range<Int>, metadata: Range<Int>?, time: Int64)? {
        var seq: Int64?
        var position: Int64?
        var id: EventID?
        var type: [UInt8]?
        var data: Range<Int>?
        var metadata: Range<Int>?
        var time: Int64?
        try scanner.readObject { key, value in
            switch key {
            case "seq": seq = try value.readInteger()
            case "position": position = try value.readInteger()
            case "id": id = EventID(parsing: try value.readString())
            case "type": type = Array(try value.readString().utf8)
            case "data": data = try value.skipValue()
            case "metadata": metadata = try value.skipValue()
            case "time": time = try value.readInteger()
            default: _ = try value.skipValue()
            }
        }
        guard let seq, let id, let type, let data, let time else { return nil }
        return (seq, position, id, type, data, metadata, time)
    }
}
