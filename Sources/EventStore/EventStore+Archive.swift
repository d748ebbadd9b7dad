import EventModel
import Foundation

extension EventStore {
    /// Throws ``EventStoreError/compacted(_:)`` when retention compacted events of a branch of
    /// `object` (its `branches`, listed by ``branches(of:)``): an archive holds every event,
    /// so there is none to make of it.
    public func requireWholeHistory(of object: ObjectKey, branches: [BranchInfo]) throws(EventStoreError) {
        for branch in branches {
            if let horizon = try horizon(of: StreamName(object: object, branch: branch.name)), horizon.seq > branch.forkSeq {
                throw .compacted(horizon)
            }
        }
    }

    /// Writes `object` with every branch as an ``ObjectArchive``, one line (without its newline)
    /// per call of `emit` (sealed, ``ArchiveSealing``, when the object is); returns the number of events written. Events are read a page at a
    /// time (at most 4,096, no read transaction held while `emit` waits), so memory stays flat
    /// whatever the object's size and a slow reader holds back no page of the file.
    /// - Throws: ``EventStoreError/branchNotFound(_:)`` when the object has no events,
    ///   ``EventStoreError/compacted(_:)`` when retention compacted some (before anything is
    ///   written), or what `emit` throws.
    public func export(_ object: ObjectKey, _ emit: ([UInt8]) async throws -> Void) async throws -> Int {
        let listed = try branches(of: object)
        guard !listed.isEmpty else { throw EventStoreError.branchNotFound(StreamName(object: object)) }
        // Parents before their branches.
        var ordered: [BranchInfo] = []
        var remaining = listed
        while !remaining.isEmpty {
            let ready = remaining.filter { info in info.parent == nil || ordered.contains { $0.name == info.parent } }
            guard !ready.isEmpty else { break }
            ordered += ready
            remaining.removeAll { info in ready.contains { $0.name == info.name } }
        }
        try requireWholeHistory(of: object, branches: listed)
        // A sealed object stays sealed in its archive.
        var sealing: ArchiveSealing?
        var sealedKey: (wrapped: String, boundTo: String)?
        if let ring = layout.keyRing {
            let name = object.storageName
            let found = try read { transaction in (try ring.state(ofObject: name, in: transaction), try ring.wrappedKey(ofObject: name, in: transaction)) }
            if case .key(let key)? = found.0, let wrapped = found.1 {
                sealing = ArchiveSealing(key: key, object: object.description)
                sealedKey = (Data(wrapped).base64EncodedString(), String(decoding: name, as: UTF8.self))
            }
        }
        try await emit(
            ObjectArchive.header(
                object, ordered.map { ObjectArchive.Branch(name: $0.name, parent: $0.parent, forkSeq: $0.forkSeq, head: $0.head) }, sealedKey: sealedKey))
        var count = 0
        for branch in ordered where branch.head > branch.forkSeq {
            let stream = StreamName(object: object, branch: branch.name)
            var next: Seq? = branch.forkSeq + 1
            var lines: [[UInt8]] = []
            while let from = next, from <= branch.head {
                lines.removeAll(keepingCapacity: true)
                let page = try readStream(stream, from: from, limit: Int(min(4_096, branch.head - from + 1))) { event in
                    var writer = JSONWriter(capacity: 256 + event.data.count + event.metadata.count)
                    writer.ascii("{\"branch\":")
                    writer.string(branch.name.name)
                    writer.ascii(",\"event\":")
                    EventJSON.write(event, into: &writer)
                    writer.byte(UInt8(ascii: "}"))
                    lines.append(writer.bytes)
                }
                for line in lines { try await emit(try sealing.map { try $0.seal(line) } ?? line) }
                count += lines.count
                next = page?.next
            }
        }
        return count
    }

    /// Imports an ``ObjectArchive`` read line by line from `nextLine` (nil at the end): the
    /// object's branches are created as they were and their events appended with their ids,
    /// data, metadata and commit times. An object that exists already is refused unless
    /// `replacing`, which deletes it (every branch, freeing its event ids) first.
    /// - Throws: ``ObjectArchive/ArchiveError`` for a line that is not what the format says
    ///   (events before it stay imported), ``EventStoreError/branchExists(_:)`` for an existing
    ///   object, or what appending throws.
    /// - Parameter tenant: whose object it becomes (an archive names none: it moves between
    ///   tenants and stores).
    /// - Parameter expected: the object the archive must hold, else
    ///   ``ObjectArchive/ArchiveError`` before anything is written.
    public func importObject(
        into tenant: Tenant = .default, expecting expected: ObjectKey? = nil, replacing: Bool = false, _ nextLine: () async throws -> [UInt8]?
    ) async throws -> (object: ObjectKey, events: Int) {
        guard let headerLine = try await nextLine() else { throw ObjectArchive.ArchiveError(line: 1, reason: "the archive is empty") }
        let (named, branches, sealedKey) = try ObjectArchive.parseHeader(headerLine)
        var sealing: ArchiveSealing?
        if let sealedKey {
            guard let master = layout.keyRing?.master else {
                throw ObjectArchive.ArchiveError(line: 1, reason: "the archive is sealed: import it into a store opened with the master key it was sealed under")
            }
            sealing = ArchiveSealing.opening(wrapped: sealedKey.wrapped, boundTo: sealedKey.boundTo, object: named.description, master: master)
            guard sealing != nil else {
                throw ObjectArchive.ArchiveError(line: 1, reason: "the archive's key does not open with this store's master key (it was sealed under another)")
            }
        }
        let object = ObjectKey(type: named.type, id: named.id, tenant: tenant)
        if let expected, expected != object {
            throw ObjectArchive.ArchiveError(line: 1, reason: "the archive holds \(named), not \(expected)")
        }
        if try !self.branches(of: object).isEmpty {
            guard replacing else { throw EventStoreError.branchExists(StreamName(object: object)) }
            try await submit { .deleteObject(object, $0) }
        }
        var importer = ArchiveImporter(object: object, branches: branches, nowMilliseconds: clock.nowMilliseconds())
        var lineNumber = 1
        while let line = try await nextLine() {
            lineNumber += 1
            if line.isEmpty { continue }
            let plain = try sealing.map { sealing throws(ObjectArchive.ArchiveError) in try sealing.open(line, lineNumber: lineNumber) } ?? line
            if let request = try importer.add(plain, lineNumber: lineNumber) {
                try await importer.prepare(request.branch, in: self)
                _ = try await append(request.request, restoring: true)
            }
        }
        for request in importer.finish() {
            try await importer.prepare(request.branch, in: self)
            _ = try await append(request.request, restoring: true)
        }
        try await importer.createRemaining(in: self)
        try importer.checkComplete()
        return (object, importer.imported)
    }
}
