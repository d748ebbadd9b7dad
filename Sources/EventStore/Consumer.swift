import EventModel

/// A named reader of the global log whose acknowledged position is kept in the store, so it
/// resumes where it left off after a restart of either side. Delivery is at least once, in
/// position order, never skipping: what was not acknowledged is delivered again.
public struct Consumer: Sendable, Equatable {
    /// 1-64 of `[a-z0-9_-]`, unique within its tenant.
    public let name: String
    /// The tenant it belongs to: it reads that tenant's events only, and only that tenant
    /// finds it by name.
    public var tenant: Tenant { filter.tenant }
    /// Which events it gets (all of its tenant's).
    public let filter: ConsumerFilter
    /// The last position it acknowledged: it gets the matching events after it.
    public internal(set) var position: Position
    /// When it was created, ms since the epoch.
    public let createdMilliseconds: Int64

    /// Whether `name` may name a consumer.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// As JSON: `{"name", "filters": {...}, "position", "created"}` (never the tenant: its
    /// tenant is who reads it).
    public var json: JSONValue {
        ["name": .string(name), "filters": filter.json, "position": .number(Double(position)), "created": .number(Double(createdMilliseconds))]
    }

    /// The key of the consumer `name` of `tenant` in the `consumers` database: the tenant's
    /// storage prefix (``Tenant/storagePrefix``), then the name.
    static func storageKey(_ name: String, tenant: Tenant) -> [UInt8] { tenant.storagePrefix + Array(name.utf8) }

    init(name: String, filter: ConsumerFilter, position: Position, createdMilliseconds: Int64) {
        self.name = name
        self.filter = filter
        self.position = position
        self.createdMilliseconds = createdMilliseconds
    }

    /// As stored: ``json`` and, for any tenant but the default, `"tenant"`.
    var storedJSON: JSONValue {
        guard case .object(var members) = json else { return json }
        if !tenant.isDefault { members["tenant"] = .string(tenant.name) }
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let filter = json["filters"].flatMap(ConsumerFilter.init(stored:)),
            let position = json["position"]?.integerValue, let created = json["created"]?.integerValue
        else { return nil }
        var tenant = Tenant.default
        if let stored = json["tenant"] {
            guard let name = stored.stringValue, let named = try? Tenant(name) else { return nil }
            tenant = named
        }
        self.init(name: name, filter: filter.within(tenant), position: Position(position), createdMilliseconds: Int64(created))
    }
}

/// Which events a consumer, a sink or a log stream gets: its tenant's, and of those, each list
/// empty means any; an event passes when it matches every list that is not empty (`objects`
/// and `objectPrefixes` together: either).
public struct ConsumerFilter: Sendable, Equatable {
    /// The tenant whose events pass (no other tenant's ever do).
    public private(set) var tenant: Tenant = .default
    /// Object types, e.g. `inventory`.
    public let objectTypes: [String]
    /// Event types, e.g. `Restocked`.
    public let eventTypes: [String]
    /// Branches, e.g. `main`.
    public let branches: [String]
    /// Objects, `type/id`, e.g. `inventory/sku-42`.
    public let objects: [String]
    /// Starts of objects' names, `type/` and the start of their ids, e.g. `inventory/sku-4`.
    public let objectPrefixes: [String]
    private let objectTypeBytes: [[UInt8]]
    private let eventTypeBytes: [[UInt8]]
    private let branchBytes: [[UInt8]]
    private let objectBytes: [[UInt8]]
    private let objectPrefixBytes: [[UInt8]]

    /// The members of its JSON form.
    public static let members = ["objectTypes", "eventTypes", "branches", "objects", "objectPrefixes"]

    /// A filter; every list empty means every event. The lists are taken as they are: see
    /// ``init(json:)`` for one checked.
    public init(objectTypes: [String] = [], eventTypes: [String] = [], branches: [String] = [], objects: [String] = [], objectPrefixes: [String] = []) {
        self.objectTypes = objectTypes.sorted()
        self.eventTypes = eventTypes.sorted()
        self.branches = branches.sorted()
        self.objects = objects.sorted()
        self.objectPrefixes = objectPrefixes.sorted()
        objectTypeBytes = self.objectTypes.map { Array($0.utf8) }
        eventTypeBytes = self.eventTypes.map { Array($0.utf8) }
        branchBytes = self.branches.map { Array($0.utf8) }
        objectBytes = self.objects.map { Array($0.utf8) }
        objectPrefixBytes = self.objectPrefixes.map { Array($0.utf8) }
    }

    /// The same filter over the events of `tenant`.
    public func within(_ tenant: Tenant) -> ConsumerFilter {
        var filter = self
        filter.tenant = tenant
        return filter
    }

    /// Whether an event of `type` on the stream `name` passes, comparing bytes (no allocation).
    @inline(__always)
    public func matches(type: UnsafeRawBufferPointer, name: StoredStreamName) -> Bool {
        if !eventTypeBytes.isEmpty, !eventTypeBytes.contains(where: { $0.elementsEqual(type) }) { return false }
        return matches(name: name)
    }

    /// Whether some event on the stream `name` may pass: every part of the filter but the event
    /// types (what a scan can tell before it reads the event).
    @inline(__always)
    public func matches(name: StoredStreamName) -> Bool {
        guard tenant.owns(name.tenant) else { return false }
        if !branchBytes.isEmpty, !branchBytes.contains(where: { $0.elementsEqual(name.branch) }) { return false }
        let object = name.object
        if !objectTypeBytes.isEmpty {
            let slash = object.firstIndex(of: UInt8(ascii: "/")) ?? object.endIndex
            let objectType = UnsafeRawBufferPointer(rebasing: object[..<slash])
            if !objectTypeBytes.contains(where: { $0.elementsEqual(objectType) }) { return false }
        }
        if !objectBytes.isEmpty || !objectPrefixBytes.isEmpty {
            guard objectBytes.contains(where: { $0.elementsEqual(object) }) || objectPrefixBytes.contains(where: { object.starts(with: $0) }) else {
                return false
            }
        }
        return true
    }

    /// As JSON: `{"objectTypes", "eventTypes", "branches", "objects", "objectPrefixes"}`.
    public var json: JSONValue {
        [
            "objectTypes": .array(objectTypes.map(JSONValue.string)), "eventTypes": .array(eventTypes.map(JSONValue.string)),
            "branches": .array(branches.map(JSONValue.string)), "objects": .array(objects.map(JSONValue.string)),
            "objectPrefixes": .array(objectPrefixes.map(JSONValue.string)),
        ]
    }

    /// Reads and checks a filter from JSON (each member optional, a list of strings): object
    /// types, branches and objects must be valid names, object prefixes a type, `/` and the
    /// start of an id.
    /// - Throws: ``ConsumerFilterError`` naming the member (`objects/2`) and what is wrong.
    public init(json: JSONValue) throws(ConsumerFilterError) {
        guard case .object(let given) = json else { throw ConsumerFilterError(member: "", reason: "must be an object of lists: \(Self.members.joined(separator: ", "))") }
        if let unknown = given.keys.sorted().first(where: { !Self.members.contains($0) }) {
            throw ConsumerFilterError(member: unknown, reason: "is not a filter; filters are \(Self.members.joined(separator: ", "))")
        }
        func strings(_ key: String, _ check: (String) -> String?) throws(ConsumerFilterError) -> [String] {
            guard let value = given[key] else { return [] }
            guard case .array(let items) = value else { throw ConsumerFilterError(member: key, reason: "must be a list of strings") }
            var texts: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue else { throw ConsumerFilterError(member: "\(key)/\(index)", reason: "must be a string") }
                if let problem = check(text) { throw ConsumerFilterError(member: "\(key)/\(index)", reason: problem) }
                texts.append(text)
            }
            return texts
        }
        let objectTypes = try strings("objectTypes") { text in Self.problem { () throws(NameError) in _ = try ObjectType(text) } }
        let eventTypes = try strings("eventTypes") { $0.isEmpty ? "must not be empty" : nil }
        let branches = try strings("branches") { text in Self.problem { () throws(NameError) in _ = try BranchName(text) } }
        let objects = try strings("objects") { text in Self.problem { () throws(NameError) in _ = try ObjectKey(parsing: text) } }
        let prefixes = try strings("objectPrefixes") { text in Self.prefixProblem(text) }
        self.init(objectTypes: objectTypes, eventTypes: eventTypes, branches: branches, objects: objects, objectPrefixes: prefixes)
    }

    /// A filter as stored (its lists as they were accepted, not checked again: a consumer
    /// made by an earlier build stays); nil when a member is not a list of strings.
    init?(stored json: JSONValue) {
        func strings(_ key: String) -> [String]? {
            guard let value = json[key] else { return [] }
            guard case .array(let items) = value else { return nil }
            let texts = items.compactMap(\.stringValue)
            return texts.count == items.count ? texts : nil
        }
        guard case .object = json, let objectTypes = strings("objectTypes"), let eventTypes = strings("eventTypes"), let branches = strings("branches"),
            let objects = strings("objects"), let prefixes = strings("objectPrefixes")
        else { return nil }
        self.init(objectTypes: objectTypes, eventTypes: eventTypes, branches: branches, objects: objects, objectPrefixes: prefixes)
    }

    /// What is wrong with an object prefix (`type/` and the start of an id), or nil.
    public static func prefixProblem(_ text: String) -> String? {
        guard let slash = text.firstIndex(of: "/") else { return "must be TYPE/ and the start of ids, e.g. inventory/sku-" }
        if let problem = problem({ () throws(NameError) in _ = try ObjectType(String(text[..<slash])) }) { return problem }
        let start = text[text.index(after: slash)...]
        guard !start.isEmpty else { return nil }
        return problem { () throws(NameError) in _ = try ObjectID(String(start)) }
    }

    private static func problem(_ body: () throws(NameError) -> Void) -> String? {
        do { try body() } catch { return error.description }
        return nil
    }
}

/// Why a filter's JSON was refused: the member at fault (a JSON Pointer below the filter, e.g.
/// `objects/2`) and what is wrong with it.
public struct ConsumerFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member, as a pointer below the filter (empty for the filter itself).
    public let member: String
    /// What is wrong.
    public let reason: String

    public var description: String { "\(member.isEmpty ? "filters" : member) \(reason)" }
}

/// Where a new consumer starts.
public enum ConsumerStart: Sendable, Equatable {
    /// At the first event of the log.
    case earliest
    /// After the last event committed now.
    case latest
    /// After this position.
    case position(Position)
}
