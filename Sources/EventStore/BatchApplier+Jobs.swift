import EventModel
import LMDB

extension BatchApplier {
    /// Stores `job` (numbered here), or answers the one running for the same view, type,
    /// versions and force; a running one for the same view and type but other versions is
    /// marked failed (superseded).
    mutating func createJob(_ job: RebuildJob) throws -> Result<RebuildJob, EventStoreError> {
        var job = job
        var running: [RebuildJob] = []
        var lastID: UInt64 = 0
        try transaction.withCursor(layout.jobs) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                lastID = max(lastID, StoreKeys.integer(current.key))
                if current.key.count == 8, let stored = RebuildJob(json: try JSONValue(parsing: current.value)), stored.state == .running,
                    stored.view == job.view, stored.type == job.type
                {
                    running.append(stored)
                }
                entry = try cursor.next()
            }
        }
        if let same = running.first(where: { $0.versions == job.versions && $0.force == job.force }) {
            return .success(same)
        }
        job.id = lastID + 1
        for var old in running where old.versions != job.versions {
            old.state = .failed
            old.message = "superseded by job \(job.id): the view's version changed"
            old.finishedMilliseconds = timeMilliseconds
            try JobKeys.put(old, layout: layout, transaction: transaction)
        }
        try JobKeys.put(job, layout: layout, transaction: transaction)
        return .success(job)
    }

    /// Makes a rebuild job's write: a chunk of rebuilt views, its end, or the view versions.
    mutating func apply(_ write: JobWrite) throws -> Result<Void, EventStoreError> {
        switch write {
        case .installChunk(let id, let chunk, let installs, let events):
            guard var job = try JobKeys.job(id, layout: layout, transaction: transaction), job.state == .running else { break }
            let marked = try JobKeys.withChunkKey(id, chunk) { try transaction.get(layout.jobs, key: $0) != nil }
            guard !marked else { break }
            var objects: UInt64 = 0
            for install in installs where try self.install(install) { objects += 1 }
            try JobKeys.withChunkKey(id, chunk) { key in try transaction.put(layout.jobs, key: key, value: UnsafeRawBufferPointer(start: nil, count: 0)) }
            job.chunksDone += 1
            job.objects += objects
            job.events += events
            try JobKeys.put(job, layout: layout, transaction: transaction)
        case .finish(let id, let state, let message):
            guard var job = try JobKeys.job(id, layout: layout, transaction: transaction) else { break }
            job.state = state
            job.message = message
            job.finishedMilliseconds = timeMilliseconds
            try JobKeys.put(job, layout: layout, transaction: transaction)
            var chunks: [[UInt8]] = []
            try transaction.withCursor(layout.jobs) { cursor in
                var entry = try StoreKeys.withKey(id, 0) { try cursor.seek(atLeast: $0) }
                while let current = entry, current.key.count == 16, StoreKeys.integer(current.key) == id {
                    chunks.append(Array(current.key))
                    entry = try cursor.next()
                }
            }
            for key in chunks { _ = try key.withUnsafeBytes { try transaction.delete(layout.jobs, key: $0) } }
        case .recordVersions(let versions):
            for entry in versions {
                var version = UInt64(entry.version).littleEndian
                try JobKeys.withVersionKey(type: entry.type, view: entry.view) { key in
                    try withUnsafeBytes(of: &version) { try transaction.put(layout.meta, key: key, value: $0) }
                }
            }
        }
        return .success(())
    }

    /// Swaps in one object's rebuilt view: the events appended since it was folded are folded on
    /// top, then the state and its snapshots are written. False when the branch is gone.
    private mutating func install(_ install: ViewInstall) throws -> Bool {
        guard try layout.streamNumber(install.storageKey, in: transaction) == install.stream else { return false }
        let lineage = try layout.lineage(of: install.stream, in: transaction)
        let head = try layout.head(of: lineage, in: transaction)
        var state = install.state
        if head > install.seq {
            var events: [RecordedEvent] = []
            try layout.forEachEvent(of: lineage, from: install.seq + 1, limit: Int(clamping: head - install.seq), in: transaction) {
                events.append(try RecordedEvent($0))
            }
            state = try install.view.fold(state, events)
        }
        try StoredView.write(
            stream: install.stream, name: install.view.name, version: install.view.version, seq: head, state: state, layout: layout,
            transaction: transaction)
        if install.replacesSnapshots {
            let prefix = SnapshotKeys.withKey(stream: install.stream, name: install.view.name, seq: 0) { Array($0.prefix($0.count - 8)) }
            var keys: [[UInt8]] = []
            try transaction.withCursor(layout.snapshots) { cursor in
                var entry = try prefix.withUnsafeBytes { try cursor.seek(atLeast: $0) }
                while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                    keys.append(Array(current.key))
                    entry = try cursor.next()
                }
            }
            for key in keys { _ = try key.withUnsafeBytes { try transaction.delete(layout.snapshots, key: $0) } }
        }
        let writer = SnapshotWriter()
        for snapshot in install.snapshots {
            try writer.write(
                stream: install.stream, name: install.view.name, version: install.view.version, seq: snapshot.seq, state: snapshot.state,
                layout: layout, transaction: transaction)
        }
        return true
    }
}

/// Keys and records of the `jobs` database.
enum JobKeys {
    /// `meta` key of the version the stored states of a type's view are of.
    static func withVersionKey<R>(type: String, view: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Array("view-version/\(type)/\(view)".utf8).withUnsafeBytes(body)
    }

    static func withChunkKey<R>(_ job: UInt64, _ chunk: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try StoreKeys.withKey(job, chunk, body)
    }

    static func job(_ id: UInt64, layout: StoreLayout, transaction: some ReadableTransaction) throws -> RebuildJob? {
        try StoreKeys.withKey(id) { key in
            try transaction.get(layout.jobs, key: key).flatMap { RebuildJob(json: try JSONValue(parsing: $0)) }
        }
    }

    static func put(_ job: RebuildJob, layout: StoreLayout, transaction: WriteTransaction) throws {
        var writer = JSONWriter(capacity: 256)
        writer.value(job.json)
        try StoreKeys.withKey(job.id) { key in
            try writer.bytes.withUnsafeBytes { try transaction.put(layout.jobs, key: key, value: $0) }
        }
    }
}
