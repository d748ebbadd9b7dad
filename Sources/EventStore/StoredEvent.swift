import EventModel

/// One committed event as read from storage, borrowed.
///
/// `type`, `data` and `metadata` point into the memory map or a reader's scratch buffer: they
/// are valid only inside the closure that received this value.
public struct StoredEvent {
    /// The global log position.
    public let position: Position
    /// The seq within its stream.
    public let seq: Seq
    /// The stream number it belongs to (internal identity of its object branch).
    public let stream: UInt64
    /// Commit time, milliseconds since the Unix epoch.
    public let timeMilliseconds: Int64
    /// The event id.
    public let id: EventID
    /// The event type, UTF-8.
    public let type: UnsafeRawBufferPointer
    /// The event's data: a compact JSON object.
    public let data: UnsafeRawBufferPointer
    /// The event's metadata: a compact JSON object.
    public let metadata: UnsafeRawBufferPointer
}

/// Where a log event belongs: its tenant, object (`type/id`) and branch, as borrowed UTF-8.
public struct StoredStreamName {
    /// The tenant's name; empty for ``Tenant/default``.
    public let tenant: UnsafeRawBufferPointer
    /// `type/id`, without the tenant.
    public let object: UnsafeRawBufferPointer
    /// The branch name.
    public let branch: UnsafeRawBufferPointer

    /// The name of a stream stored as `storageName` (`[tenant|]type/id`) and `branch`.
    init(storageName: UnsafeRawBufferPointer, branch: UnsafeRawBufferPointer) {
        (tenant, object) = Tenant.split(storageName)
        self.branch = branch
    }

    /// The object, tenant included; nil when the stored name is not one (a damaged record).
    public var objectKey: ObjectKey? {
        guard let object = try? ObjectKey(parsing: String(decoding: object, as: UTF8.self)) else { return nil }
        guard !tenant.isEmpty else { return object }
        guard let owner = try? Tenant(String(decoding: tenant, as: UTF8.self)) else { return nil }
        return ObjectKey(type: object.type, id: object.id, tenant: owner)
    }
}
