import ArgumentParser
import EventModel
import EventStore
import Foundation

/// `evtool tail`: follow the log live, as CloudEvents.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow a running server's log live as CloudEvents, or as a named consumer.",
        discussion: """
            Without --consumer, prints every event after --after (default: from now on) as it \
            commits, optionally only of --type object types, --object objects, objects whose \
            names start with --object-prefix, or --branch branches (each repeatable). With \
            --consumer NAME, reads as that consumer (created if missing, with its filters from \
            those options), acknowledging what it printed: run it again and it goes on where it \
            stopped. Stop with Ctrl-C.

            Examples:
              evtool tail --url http://127.0.0.1:8080
              evtool tail --url http://127.0.0.1:8080 --type inventory --format table
              evtool tail --url http://127.0.0.1:8080 --object inventory/sku-42
              evtool tail --url http://127.0.0.1:8080 --object-prefix inventory/sku-4 --branch main
              evtool tail --url http://127.0.0.1:8080 --consumer audit
            """)

    @Option(help: ArgumentHelp("Read as this named consumer (its position is kept by the server).", valueName: "name"))
    var consumer: String?

    @Option(help: ArgumentHelp("Start after this position (default: the end of the log; 0: the beginning).", valueName: "position"))
    var after: UInt64?

    @Option(name: .customLong("type"), help: ArgumentHelp("Only objects of this type (repeatable).", valueName: "type"))
    var types: [String] = []

    @Option(name: .customLong("object"), help: ArgumentHelp("Only this object, TYPE/ID (repeatable).", valueName: "object"))
    var objects: [String] = []

    @Option(name: .customLong("object-prefix"), help: ArgumentHelp("Only objects whose TYPE/ID starts with this, e.g. inventory/sku-4 (repeatable).", valueName: "prefix"))
    var objectPrefixes: [String] = []

    @Option(name: .customLong("branch"), help: ArgumentHelp("Only this branch (repeatable).", valueName: "branch"))
    var branches: [String] = []

    @Option(help: "cloudevents (one JSON CloudEvent per line) or table.")
    var format: TailFormat = .cloudevents

    @Option(help: ArgumentHelp("The server, e.g. http://127.0.0.1:8080.", valueName: "url"))
    var url: String

    @OptionGroup var client: ClientOptions

    enum TailFormat: String, ExpressibleByArgument, CaseIterable {
        case cloudevents
        case table
    }

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ValidationError("--url must start with http:// or https://") }
        if let consumer, !Consumer.isValidName(consumer) { throw ValidationError("--consumer must be 1-64 characters of a-z, 0-9, '_' and '-'") }
        do throws(ConsumerFilterError) { _ = try ConsumerFilter(json: filterJSON) } catch {
            let option = ["objectTypes": "--type", "branches": "--branch", "objects": "--object", "objectPrefixes": "--object-prefix"][String(error.member.prefix { $0 != "/" })]
            throw ValidationError("\(option ?? "a filter"): \(error.reason)")
        }
    }

    /// The filters the options ask for, as a consumer's `filters`.
    private var filterJSON: JSONValue {
        [
            "objectTypes": .array(types.map(JSONValue.string)), "objects": .array(objects.map(JSONValue.string)),
            "objectPrefixes": .array(objectPrefixes.map(JSONValue.string)), "branches": .array(branches.map(JSONValue.string)),
        ]
    }

    private var filtered: Bool { !types.isEmpty || !objects.isEmpty || !objectPrefixes.isEmpty || !branches.isEmpty }

    func run() async throws {
        let remote = try RemoteStore(baseURL: url, client: client)
        var printer = CloudEventPrinter(table: format == .table)
        if let consumer {
            try await followConsumer(consumer, remote, &printer)
        } else {
            var start = after
            if start == nil {
                let health = try await remote.send(.GET, "/healthz").body
                start = UInt64((try? health.withUnsafeBytes { try JSONValue(parsing: $0) })?["position"]?.integerValue ?? 0)
            }
            let query = types.map { "&objectType=\($0)" }.joined() + objects.map { "&object=\($0)" }.joined()
                + objectPrefixes.map { "&objectPrefix=\($0)" }.joined() + branches.map { "&branch=\($0)" }.joined()
            try await remote.follow(path: "/v1/log/stream?format=cloudevents\(query)", after: start ?? 0) { event in
                printer.print(event)
            }
        }
    }

    private func followConsumer(_ name: String, _ remote: RemoteStore, _ printer: inout CloudEventPrinter) async throws {
        var body: [String: JSONValue] = ["filters": filterJSON]
        if let after { body["start"] = .number(Double(after)) }
        if (try? await remote.send(.GET, "/v1/consumers/\(name)")) != nil, after == nil, !filtered {
            // Keep its filters and position as they are.
        } else {
            _ = try await remote.send(.PUT, "/v1/consumers/\(name)", body: Array(JSONValue.object(body).jsonText.utf8))
        }
        while !Task.isCancelled {
            let page = try await remote.send(.GET, "/v1/consumers/\(name)/events?wait=30000&limit=500").body
            let parsed = try page.withUnsafeBytes { try JSONValue(parsing: $0) }
            if case .array(let events)? = parsed["events"] {
                for event in events { printer.print(Array(event.jsonText.utf8)) }
            }
            if let next = parsed["next"]?.integerValue, next > 0, parsed["lag"] != nil {
                _ = try await remote.send(.POST, "/v1/consumers/\(name)/ack", body: Array("{\"position\":\(next)}".utf8))
            }
        }
    }
}
