import ArgumentParser
import EventModel
import EventStore
import Foundation
import Logging
import Sinks

/// `evtool sink`: run change-data-capture sinks, and look after the batches they parked.
struct SinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Run CDC sinks (webhook, JSON Lines, NATS JetStream) and replay parked batches.",
        discussion: """
            A sinks file declares each sink: {"sinks": [{"name", "type": "webhook" | "jsonl" | \
            "nats", ...}]} (see the README). Each sink is a named consumer: its position is kept \
            in the store, so it resumes where it stopped. `evtool serve --sinks FILE` runs them \
            inside the server; `evtool sink run` runs them on a data folder.
            """,
        subcommands: [Run.self, Parked.self, Replay.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the sinks of a sinks file on a data folder until stopped (Ctrl-C).",
            discussion: """
                Examples:
                  evtool sink run --sinks sinks.json --data ./data
                """)

        @Option(help: ArgumentHelp("The sinks file.", valueName: "file"))
        var sinks: String

        @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
        var data = "./data"

        func run() async throws {
            let configurations: [SinkConfiguration]
            do { configurations = try SinkConfiguration.load(path: sinks) } catch { throw CommandFailure("--sinks \(sinks): \(error)") }
            let logger = { () -> Logger in
                var logger = Logger(label: "evtool.sink")
                logger.logLevel = .info
                return logger
            }()
            let engine = try StoreOptions.open(data: data, holder: "evtool sink run")
            await withTaskGroup(of: Void.self) { group in
                for configuration in configurations {
                    group.addTask { await SinkService.runForever(configuration, store: engine, logger: logger) }
                }
            }
            await engine.close()
        }
    }

    struct Parked: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the batches sinks gave up on: sink, first position, events, reason.",
            discussion: """
                Examples:
                  evtool sink parked --url http://127.0.0.1:8080
                  evtool sink parked --sink search --data ./data
                """)

        @Option(help: ArgumentHelp("Only this sink's.", valueName: "name"))
        var sink: String?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            for batch in try await ParkedBatches.list(store, sink: sink) {
                print(
                    JSONValue.object([
                        "sink": .string(batch.sink), "firstPosition": .number(Double(batch.firstPosition)),
                        "events": .number(Double(batch.events.count)), "reason": .string(batch.reason),
                    ]).jsonText)
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver a sink's parked batches again (each one dropped once delivered).",
            discussion: """
                Uses the sink's settings from the sinks file, so a fixed URL or credentials apply.

                Examples:
                  evtool sink replay search --sinks sinks.json --url http://127.0.0.1:8080
                  evtool sink replay search --sinks sinks.json --position 1201 --data ./data
                """)

        @Argument(help: ArgumentHelp("The sink.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("The sinks file.", valueName: "file"))
        var sinks: String

        @Option(help: ArgumentHelp("Only the batch starting at this position.", valueName: "position"))
        var position: UInt64?

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let configurations: [SinkConfiguration]
            do { configurations = try SinkConfiguration.load(path: sinks) } catch { throw CommandFailure("--sinks \(sinks): \(error)") }
            guard let configuration = configurations.first(where: { $0.name == name }) else {
                throw CommandFailure("\(sinks) has no sink \(name); it has \(configurations.map(\.name).joined(separator: ", "))")
            }
            let sink = try configuration.makeSink()
            var replayed = 0
            for batch in try await ParkedBatches.list(store, sink: name) where position == nil || batch.firstPosition == position {
                do {
                    try await sink.deliver(batch.sinkBatch)
                } catch {
                    await sink.close()
                    throw CommandFailure("the batch at \(batch.firstPosition) failed again: \(error); \(replayed) replayed before it")
                }
                try await ParkedBatches.drop(store, sink: name, firstPosition: batch.firstPosition)
                replayed += 1
            }
            await sink.close()
            print(JSONValue.object(["sink": .string(name), "replayed": .number(Double(replayed))]).jsonText)
        }
    }
}
