import EventModel
import EventStore
import Foundation

/// One sink as `--sinks sinks.json` declares it. The file is `{"sinks": [...]}`, each entry:
///
/// ```json
/// {"name": "search", "type": "webhook", "url": "http://127.0.0.1:9000/events",
///  "filters": {"objectTypes": ["inventory"]}, "start": "earliest", "batchSize": 100, "maxAttempts": 8}
/// {"name": "lake", "type": "jsonl", "path": "cdc/events", "rotateBytes": 67108864}
/// {"name": "bus", "type": "nats", "url": "nats://127.0.0.1:4222", "stream": "EVLOG", "subjectPrefix": "evlog"}
/// ```
///
/// `name` is the sink's consumer: its position is kept in the store like any consumer's.
public struct SinkConfiguration: Sendable, Equatable {
    /// Where a sink sends batches.
    public enum Target: Sendable, Equatable {
        /// POSTs each batch as a JSON array of CloudEvents.
        case webhook(url: String, headers: [String: String])
        /// Appends each event as a line to `path`, starting a new file past `rotateBytes`.
        case jsonLines(path: String, rotateBytes: Int)
        /// Publishes each event to JetStream, subject `subjectPrefix.<object type>`.
        case nats(url: String, stream: String, subjectPrefix: String)
    }

    /// The sink's (and its consumer's) name.
    public let name: String
    /// Where it sends.
    public let target: Target
    /// Which events.
    public let filter: ConsumerFilter
    /// Where a new sink starts.
    public let start: ConsumerStart
    /// Events per batch at most.
    public let batchSize: Int
    /// Attempts before a batch is parked (webhook; other sinks retry for ever).
    public let maxAttempts: Int
    /// The first retry's delay; each next one doubles, up to `backoffMaxMilliseconds`, with jitter.
    public let backoffMilliseconds: Int
    /// The longest delay between attempts.
    public let backoffMaxMilliseconds: Int

    /// A sink; the defaults are the file's.
    public init(
        name: String, target: Target, filter: ConsumerFilter = ConsumerFilter(), start: ConsumerStart = .earliest, batchSize: Int = 100,
        maxAttempts: Int = 8, backoffMilliseconds: Int = 100, backoffMaxMilliseconds: Int = 30_000
    ) {
        self.name = name
        self.target = target
        self.filter = filter
        self.start = start
        self.batchSize = batchSize
        self.maxAttempts = maxAttempts
        self.backoffMilliseconds = backoffMilliseconds
        self.backoffMaxMilliseconds = backoffMaxMilliseconds
    }

    /// What is wrong with a sinks file: the entry and the member.
    public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A JSON Pointer into the file, e.g. `/sinks/0/url`.
        public let pointer: String
        /// What is wrong.
        public let reason: String

        public var description: String { "\(pointer): \(reason)" }
    }

    /// Reads a sinks file.
    /// - Throws: ``FileError`` naming the entry and member at fault.
    public static func load(path: String) throws -> [SinkConfiguration] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(pointer: "", reason: "cannot read \(path)") }
        let value: JSONValue
        do { value = try data.withUnsafeBytes { try JSONValue(parsing: $0) } } catch { throw FileError(pointer: "", reason: "\(path) is not JSON: \(error)") }
        return try parse(value)
    }

    /// Reads the sinks of a parsed file.
    public static func parse(_ value: JSONValue) throws(FileError) -> [SinkConfiguration] {
        guard case .array(let entries)? = value["sinks"] else { throw FileError(pointer: "/sinks", reason: "must be a list of sinks") }
        var sinks: [SinkConfiguration] = []
        for (index, entry) in entries.enumerated() {
            let sink = try parse(entry, at: "/sinks/\(index)")
            guard !sinks.contains(where: { $0.name == sink.name }) else { throw FileError(pointer: "/sinks/\(index)/name", reason: "\(sink.name) is used twice") }
            sinks.append(sink)
        }
        return sinks
    }

    private static func parse(_ entry: JSONValue, at pointer: String) throws(FileError) -> SinkConfiguration {
        func string(_ key: String, default fallback: String? = nil) throws(FileError) -> String {
            if let text = entry[key]?.stringValue, !text.isEmpty { return text }
            if entry[key] == nil, let fallback { return fallback }
            throw FileError(pointer: "\(pointer)/\(key)", reason: "must be a non-empty string")
        }
        func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(FileError) -> Int {
            guard let value = entry[key] else { return fallback }
            guard let number = value.integerValue, range.contains(number) else {
                throw FileError(pointer: "\(pointer)/\(key)", reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        guard case .object(let members) = entry else { throw FileError(pointer: pointer, reason: "must be an object") }
        let name = try string("name")
        guard Consumer.isValidName(name) else { throw FileError(pointer: "\(pointer)/name", reason: "must be 1-64 characters of a-z, 0-9, '_' and '-'") }
        let known: Set<String>
        let target: Target
        switch try string("type") {
        case "webhook":
            let url = try string("url")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw FileError(pointer: "\(pointer)/url", reason: "must be an http:// or https:// URL") }
            var headers: [String: String] = [:]
            if case .object(let given)? = entry["headers"] {
                for (key, value) in given {
                    guard let text = value.stringValue else { throw FileError(pointer: "\(pointer)/headers/\(key)", reason: "must be a string") }
                    headers[key] = text
                }
            }
            target = .webhook(url: url, headers: headers)
            known = ["url", "headers", "maxAttempts", "backoffMilliseconds", "backoffMaxMilliseconds"]
        case "jsonl":
            target = .jsonLines(path: try string("path"), rotateBytes: try integer("rotateBytes", default: 64 << 20, range: 1_024...(1 << 40)))
            known = ["path", "rotateBytes"]
        case "nats":
            let url = try string("url", default: "nats://127.0.0.1:4222")
            guard url.hasPrefix("nats://") else { throw FileError(pointer: "\(pointer)/url", reason: "must be a nats:// URL") }
            target = .nats(url: url, stream: try string("stream", default: "EVLOG"), subjectPrefix: try string("subjectPrefix", default: "evlog"))
            known = ["url", "stream", "subjectPrefix"]
        case let other:
            throw FileError(pointer: "\(pointer)/type", reason: "is \(other); sinks are webhook, jsonl and nats")
        }
        if let unknown = members.keys.sorted().first(where: { !(known.union(["name", "type", "filters", "start", "batchSize"])).contains($0) }) {
            throw FileError(pointer: "\(pointer)/\(unknown)", reason: "is not a setting of this sink")
        }
        var filter = ConsumerFilter()
        if let value = entry["filters"] {
            do throws(ConsumerFilterError) { filter = try ConsumerFilter(json: value) } catch {
                throw FileError(pointer: "\(pointer)/filters" + (error.member.isEmpty ? "" : "/\(error.member)"), reason: error.reason)
            }
        }
        let start: ConsumerStart
        switch entry["start"] {
        case nil, .string("earliest"): start = .earliest
        case .string("latest"): start = .latest
        case .some(let value) where value.integerValue.map { $0 >= 0 } == true: start = .position(Position(value.integerValue!))
        default: throw FileError(pointer: "\(pointer)/start", reason: "must be \"earliest\", \"latest\" or a position")
        }
        return SinkConfiguration(
            name: name, target: target, filter: filter, start: start, batchSize: try integer("batchSize", default: 100, range: 1...10_000),
            maxAttempts: try integer("maxAttempts", default: 8, range: 1...1_000), backoffMilliseconds: try integer("backoffMilliseconds", default: 100, range: 1...600_000),
            backoffMaxMilliseconds: try integer("backoffMaxMilliseconds", default: 30_000, range: 1...3_600_000))
    }
}
