import ArgumentParser
import EventModel
import EventStore
import Foundation

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

    @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
    var data = "./data"

    @OptionGroup var tenant: TenantOptions

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
        let key = try parseObject(object, tenant: tenant.chosen)
        let engine = try StoreOptions.open(data: data, holder: "evtool replay")
        // Closed before the command returns, whatever happens: the next command may open it.
        do { try await replay(key, engine: engine) } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }

    private func replay(_ key: ObjectKey, engine: EventStore) async throws {
        guard let definition = engine.objectTypes[key.type.name], let projection = view.map({ name in definition.views.first { $0.name == name } }) ?? definition.views.first
        else {
            throw CommandFailure("\(key.type) has no view \(view ?? ""); views: \(engine.objectTypes[key.type.name]?.views.map(\.name).joined(separator: ", ") ?? "none")")
        }
        let stream = StreamName(object: key, branch: branch.name)
        if branch.name != .main, try !engine.branches(of: key).contains(where: { $0.name == branch.name }) {
            throw CommandFailure("\(key) has no branch \(branch.name); evtool branches \(key) lists them")
        }
        let point: HistoryPoint = to.map { .seq($0) } ?? asOf.flatMap(Self.milliseconds).map { .time($0) } ?? .head
        var printer = EventPrinter(format: output.format)
        do {
            let through = try engine.seq(of: stream, at: point)
            let state = try projection.memoryState()
            var next: Seq? = through > 0 ? 1 : nil
            var decodeFailure: (any Error)?
            while let from = next, from <= through {
                var events: [RecordedEvent] = []
                let page = try engine.readStream(stream, from: from, limit: Int(min(1_000, through - from + 1))) { event in
                    do { events.append(try RecordedEvent(seq: event.seq, id: event.id, type: String(decoding: event.type, as: UTF8.self), data: JSONValue(parsing: event.data), timeMilliseconds: event.timeMilliseconds)) } catch { decodeFailure = error }
                }
                if let decodeFailure { throw CommandFailure("an event's data is not JSON: \(decodeFailure)") }
                for event in events {
                    state.fold([event])
                    if step {
                        var document: [String: JSONValue] = ["seq": .number(Double(event.seq)), "type": .string(event.type), "data": event.data, "state": try state.summaryValue()]
                        if projection.isKeyed { document["rows"] = .object(try state.takeChangedRows()) }
                        printer.print(document: Array(JSONValue.object(document).jsonText.utf8))
                    }
                }
                next = page?.next
            }
            if !step {
                printer.print(document: Array(JSONValue.object(["view": .string(projection.name), "version": .number(Double(through)), "state": try state.summaryValue()]).jsonText.utf8))
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
