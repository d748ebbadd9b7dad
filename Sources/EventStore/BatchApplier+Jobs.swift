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
        case .installChunk(let id, let chunk, let checkpoints, let objects, let events):
            guard var job = try JobKeys.job(id, layout: layout, transaction: transaction), job.state == .running else { break }
            let marked = try JobKeys.withChunkKey(id, chunk) { try transaction.get(layout.jobs, key: $0) != nil }
            guard !marked else { break }
            for write in checkpoints { _ = try apply(write) }
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
