import ArgumentParser
import EventModel
import EventStore
import Foundation
import Projections

/// `evtool replay`: an object's view at any point of its past, or step by step.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Fold an object's events into a view, up to a point in its past; --step prints every state.",
        discussion: """
            Prints {"view", "version", "state"} as it was after the event at --to SEQ, or after the \
            last event committed at or before --as-of TIME (RFC 3339 or epoch ms); the head \
            without either. --step prints {"seq", "type", "data", "state"} after every event: a \
            debugger for a stream. The default view is the type's first.

            Examples:
              evtool replay inventory/sku-42
              evtool replay inventory/sku-42 --to 10 --view stock
              evtool replay inventory/sku-42 --branch what-if --step
              evtool replay inventory/sku-42 --as-of 2026-11-23T10:00:00Z --step --format table
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: "Stop after the event with this seq.")
    var to: UInt64?

    @Option(help: "Stop after the last event committed at or before this time (RFC 3339 or epoch ms).")
    var asOf: String?

    @Option(help: "The view to fold (default: the object type's first view).")
    var view: String?

    @Flag(help: "Print the state after every event.")
    var step = false

    @OptionGroup var branch: BranchOptions

    @OptionGroup var store: StoreOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        if to != nil && asOf != nil { throw ValidationError("give --to or --as-of, not both") }
        if let asOf, Self.milliseconds(asOf) == nil {
            throw ValidationError("--as-of must be an RFC 3339 time (2026-11-23T10:00:00Z) or milliseconds since the epoch")
        }
    }

    static func milliseconds(_ text: String) -> Int64? {
        if let value = Int64(text), value >= 0 { return value }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let point: HistoryPoint = to.map { .seq($0) } ?? asOf.flatMap(Self.milliseconds).map { .time($0) } ?? .head
        let stream = StreamName(object: key, branch: branch.name)
        if let remote = try store.remote {
            var source = RemoteReplaySource(remote: remote, stream: stream, point: point)
            try await replay(key, objectTypes: Array(BundledTypes.all.values), source: &source)
            return
        }
        try await store.withStore(holder: "evtool replay") { engine in
            if branch.name != .main, try !engine.branches(of: key).contains(where: { $0.name == branch.name }) {
                throw CommandFailure("\(key) has no branch \(branch.name); evtool branches \(key) lists them")
            }
            var source = LocalReplaySource(engine: engine, stream: stream, through: try engine.seq(of: stream, at: point))
            try await replay(key, objectTypes: engine.objectTypes.values.map { $0 }, source: &source)
        }
    }

    private func replay(_ key: ObjectKey, objectTypes: [ObjectTypeDefinition], source: inout some ReplaySource) async throws {
        let definition = objectTypes.first { $0.name == key.type.name }
        guard let definition, let projection = view.map({ name in definition.views.first { $0.name == name } }) ?? definition.views.first else {
            throw CommandFailure("\(key.type) has no view \(view ?? ""); views: \(definition?.views.map(\.name).joined(separator: ", ") ?? "none")")
        }
        var printer = EventPrinter(format: output.format)
        do {
            let state = try projection.memoryState()
            while let events = try await source.nextPage() {
                for event in events {
                    state.fold([event])
                    if step {
                        var document: [String: JSONValue] = ["seq": .number(Double(event.seq)), "type": .string(event.type), "data": event.data, "state": try state.summaryValue()]
                        if projection.isKeyed { document["rows"] = .object(try state.takeChangedRows()) }
                        printer.print(document: Array(JSONValue.object(document).jsonText.utf8))
                    }
                }
            }
            if !step {
                printer.print(document: Array(JSONValue.object(["view": .string(projection.name), "version": .number(Double(source.through)), "state": try state.summaryValue()]).jsonText.utf8))
            }
        } catch let error as EventStoreError {
            throw CommandFailure(error.description)
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure("the view's state cannot be made JSON: \(error)")
        }
        printer.flush()
    }
}

/// Pages of one stream's events, oldest first, up to the point a replay asked for.
protocol ReplaySource {
    /// The seq of the last event the replay folds: the version it prints (known once the last
    /// page is read).
    var through: Seq { get }
    /// The next page; nil after the last.
    mutating func nextPage() async throws -> [RecordedEvent]?
}

/// A replay's events read from a data folder.
struct LocalReplaySource: ReplaySource {
    let engine: EventStore
    let stream: StreamName
    let through: Seq
    private var next: Seq?

    init(engine: EventStore, stream: StreamName, through: Seq) {
        self.engine = engine
        self.stream = stream
        self.through = through
        next = through > 0 ? 1 : nil
    }

    mutating func nextPage() async throws -> [RecordedEvent]? {
        guard let from = next, from <= through else { return nil }
        var events: [RecordedEvent] = []
        var decodeFailure: (any Error)?
        let page = try engine.readStream(stream, from: from, limit: Int(min(1_000, through - from + 1))) { event in
            do {
                events.append(
                    try RecordedEvent(
                        seq: event.seq, id: event.id, type: String(decoding: event.type, as: UTF8.self), data: JSONValue(parsing: event.data),
                        timeMilliseconds: event.timeMilliseconds))
            } catch { decodeFailure = error }
        }
        if let decodeFailure { throw CommandFailure("an event's data is not JSON: \(decodeFailure)") }
        next = page?.next
        return events
    }
}

/// A replay's events read from a running server, a page at a time (`GET .../events`): the
/// first page fixes the point (the head when none was asked for), so events appended while the
/// replay runs are not folded.
struct RemoteReplaySource: ReplaySource {
    let remote: RemoteStore
    let stream: StreamName
    private var point: HistoryPoint
    private(set) var through: Seq = 0
    private var next: Seq? = 1

    init(remote: RemoteStore, stream: StreamName, point: HistoryPoint) {
        self.remote = remote
        self.stream = stream
        self.point = point
    }

    mutating func nextPage() async throws -> [RecordedEvent]? {
        guard let from = next else { return nil }
        var query = "?from=\(from)&limit=1000"
        if stream.branch != .main { query += "&branch=\(stream.branch.name)" }
        switch point {
        case .seq(let seq): query += "&at=\(seq)"
        case .time(let milliseconds): query += "&asOf=\(milliseconds)"
        case .head: break
        }
        let body = try await remote.send(.GET, RemoteStore.path(stream.object) + "/events" + query).body
        guard let page = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }), case .array(let list)? = page["events"] else {
            throw CommandFailure("the server's page of events is not what GET /v1/objects/{type}/{id}/events answers")
        }
        var events: [RecordedEvent] = []
        events.reserveCapacity(list.count)
        for item in list {
            guard let seq = item["seq"]?.integerValue, let id = item["id"]?.stringValue.flatMap({ EventID(parsing: $0) }),
                let type = item["type"]?.stringValue, let data = item["data"], let time = item["time"]?.integerValue
            else { throw CommandFailure("an event of the server's page lacks seq, id, type, data or time") }
            events.append(RecordedEvent(seq: Seq(seq), id: id, type: type, data: data, timeMilliseconds: Int64(time)))
        }
        if point == .head, let version = page["version"]?.integerValue {
            // Later pages stop where the first one found the head.
            point = .seq(Seq(version))
            through = Seq(version)
        }
        if let last = events.last { through = max(through, last.seq) }
        next = page["next"]?.integerValue.map { Seq($0) }
        return events
    }
}
