import EventModel

/// A named reader of the global log whose acknowledged position is kept in the store, so it
/// resumes where it left off after a restart of either side. Delivery is at least once, in
/// position order, never skipping: what was not acknowledged is delivered again.
public struct Consumer: Sendable, Equatable {
    /// 1-64 of `[a-z0-9_-]`.
    public let name: String
    /// Which events it gets.
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

    /// As JSON: `{"name", "filters": {...}, "position", "created"}`.
    public var json: JSONValue {
        ["name": .string(name), "filters": filter.json, "position": .number(Double(position)), "created": .number(Double(createdMilliseconds))]
    }

    init(name: String, filter: ConsumerFilter, position: Position, createdMilliseconds: Int64) {
        self.name = name
        self.filter = filter
        self.position = position
        self.createdMilliseconds = createdMilliseconds
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let filter = json["filters"].flatMap(ConsumerFilter.init(json:)),
            let position = json["position"]?.integerValue, let created = json["created"]?.integerValue
        else { return nil }
        self.init(name: name, filter: filter, position: Position(position), createdMilliseconds: Int64(created))
    }
}

/// Which events a consumer gets: each list empty means any.
public struct ConsumerFilter: Sendable, Equatable {
    /// Object types, e.g. `inventory`.
    public let objectTypes: [String]
    /// Event types, e.g. `Restocked`.
    public let eventTypes: [String]
    /// Branches, e.g. `main`.
    public let branches: [String]
    private let objectTypeBytes: [[UInt8]]
    private let eventTypeBytes: [[UInt8]]
    private let branchBytes: [[UInt8]]

    /// A filter; every list empty means every event.
    public init(objectTypes: [String] = [], eventTypes: [String] = [], branches: [String] = []) {
        self.objectTypes = objectTypes.sorted()
        self.eventTypes = eventTypes.sorted()
        self.branches = branches.sorted()
        objectTypeBytes = self.objectTypes.map { Array($0.utf8) }
        eventTypeBytes = self.eventTypes.map { Array($0.utf8) }
        branchBytes = self.branches.map { Array($0.utf8) }
    }

    /// Whether an event of `type` on the stream `name` passes, comparing bytes (no allocation).
    @inline(__always)
    public func matches(type: UnsafeRawBufferPointer, name: StoredStreamName) -> Bool {
        if !eventTypeBytes.isEmpty, !eventTypeBytes.contains(where: { $0.elementsEqual(type) }) { return false }
        if !branchBytes.isEmpty, !branchBytes.contains(where: { $0.elementsEqual(name.branch) }) { return false }
        if !objectTypeBytes.isEmpty {
            let object = name.object
            let slash = object.firstIndex(of: UInt8(ascii: "/")) ?? object.endIndex
            let objectType = UnsafeRawBufferPointer(rebasing: object[..<slash])
            if !objectTypeBytes.contains(where: { $0.elementsEqual(objectType) }) { return false }
        }
        return true
    }

    /// As JSON: `{"objectTypes", "eventTypes", "branches"}`.
    public var json: JSONValue {
        [
            "objectTypes": .array(objectTypes.map(JSONValue.string)), "eventTypes": .array(eventTypes.map(JSONValue.string)),
            "branches": .array(branches.map(JSONValue.string)),
        ]
    }

    /// Reads a filter from JSON; nil when a member is not a list of strings.
    public init?(json: JSONValue) {
        func strings(_ key: String) -> [String]? {
            guard let value = json[key] else { return [] }
            guard case .array(let items) = value else { return nil }
            let texts = items.compactMap(\.stringValue)
            return texts.count == items.count ? texts : nil
        }
        guard case .object = json, let objectTypes = strings("objectTypes"), let eventTypes = strings("eventTypes"), let branches = strings("branches")
        else { return nil }
        self.init(objectTypes: objectTypes, eventTypes: eventTypes, branches: branches)
    }
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
