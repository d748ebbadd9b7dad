import EventModel
import EventStore

/// An object branch a commit wrote to, with one type of event it wrote there: what the hub
/// matches subscribers against (one per distinct run of a commit's events, not one per event).
struct TouchedStream: Hashable {
    /// The tenant's name, empty for the default tenant.
    let tenant: String
    /// `type/id`.
    let object: String
    let branch: String
    let eventType: String

    /// The object's type: `object` up to its `/`.
    var objectType: Substring { object.prefix { $0 != "/" } }
}

/// The server's subscribers by what they follow, so a commit finds the few it concerns without
/// looking at the others: an object branch's by its name, a filtered log reader's by the
/// objects it names, else by the object types it names (or its prefixes' types), else by its
/// tenant alone.
struct SubscriberIndex {
    /// Every subscriber, by id.
    private(set) var all: [Int: Subscriber] = [:]
    private var byStream: [String: [Int: Subscriber]] = [:]
    private var byObject: [String: [Int: Subscriber]] = [:]
    private var byType: [String: [Int: Subscriber]] = [:]
    private var byTenant: [String: [Int: Subscriber]] = [:]

    private static func tenantKey(_ tenant: Tenant) -> String { tenant.isDefault ? "" : tenant.name }

    /// The keys a subscriber is filed under, in which of the maps.
    private static func keys(of interest: Subscriber.Interest) -> [(WritableKeyPath<SubscriberIndex, [String: [Int: Subscriber]]>, String)] {
        switch interest {
        case .stream(let stream):
            let object = stream.object
            return [(\.byStream, "\(tenantKey(object.tenant))|\(object.type)/\(object.id)\u{0}\(stream.branch.name)")]
        case .log(let filter):
            let tenant = tenantKey(filter.tenant)
            if !filter.objects.isEmpty, filter.objectPrefixes.isEmpty {
                return filter.objects.map { (\.byObject, "\(tenant)|\($0)") }
            }
            if !filter.objectTypes.isEmpty { return filter.objectTypes.map { (\.byType, "\(tenant)|\($0)") } }
            if !filter.objectPrefixes.isEmpty {
                let types = Set(filter.objectPrefixes.map { $0.prefix { $0 != "/" } } + filter.objects.map { $0.prefix { $0 != "/" } })
                return types.map { (\.byType, "\(tenant)|\($0)") }
            }
            return [(\.byTenant, tenant)]
        }
    }

    mutating func insert(_ subscriber: Subscriber) {
        all[subscriber.id] = subscriber
        unmute(subscriber)
    }

    /// Removes it (muted or not); a key left with no subscriber is dropped, so memory goes with them.
    mutating func remove(_ subscriber: Subscriber) {
        mute(subscriber)
        all.removeValue(forKey: subscriber.id)
    }

    /// Keeps it registered (in ``all``) but out of the matching: no commit concerns it until
    /// ``unmute(_:)``.
    mutating func mute(_ subscriber: Subscriber) {
        guard all[subscriber.id] != nil else { return }
        for (map, key) in Self.keys(of: subscriber.interest) {
            self[keyPath: map][key]?.removeValue(forKey: subscriber.id)
            if self[keyPath: map][key]?.isEmpty == true { self[keyPath: map][key] = nil }
        }
    }

    /// Matches it against commits again (a subscriber still registered).
    mutating func unmute(_ subscriber: Subscriber) {
        guard all[subscriber.id] != nil else { return }
        for (map, key) in Self.keys(of: subscriber.interest) { self[keyPath: map][key, default: [:]][subscriber.id] = subscriber }
    }

    /// Adds to `concerned` (by id) the subscribers `touched` concerns.
    func collect(_ touched: TouchedStream, into concerned: inout [Int: Subscriber]) {
        // A deleted object's or branch's last events (an erasure's tombstone) are on the
        // stream renamed `BRANCH~deleted`: its followers are woken to find it gone.
        let branch = touched.branch.hasSuffix(StreamName.deletedSuffix) ? String(touched.branch.dropLast(StreamName.deletedSuffix.count)) : touched.branch
        if let followers = byStream["\(touched.tenant)|\(touched.object)\u{0}\(branch)"] {
            concerned.merge(followers) { first, _ in first }
        }
        for candidates in [byObject["\(touched.tenant)|\(touched.object)"], byType["\(touched.tenant)|\(touched.objectType)"], byTenant[touched.tenant]] {
            for (id, subscriber) in candidates ?? [:] where concerned[id] == nil {
                if case .log(let filter) = subscriber.interest, filter.passes(touched) { concerned[id] = subscriber }
            }
        }
    }
}

extension ConsumerFilter {
    /// Whether an event of the kind `touched` describes passes (as ``matches(type:name:)``).
    func passes(_ touched: TouchedStream) -> Bool {
        guard touched.tenant == (tenant.isDefault ? "" : tenant.name) else { return false }
        if !eventTypes.isEmpty, !eventTypes.contains(touched.eventType) { return false }
        if !branches.isEmpty, !branches.contains(touched.branch) { return false }
        if !objectTypes.isEmpty, !objectTypes.contains(where: { $0 == touched.objectType }) { return false }
        if !objects.isEmpty || !objectPrefixes.isEmpty {
            return objects.contains(touched.object) || objectPrefixes.contains { touched.object.hasPrefix($0) }
        }
        return true
    }
}
