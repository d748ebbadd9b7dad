import ArgumentParser
import EventModel
import EventStore

/// `evtool reactions`: where each reaction stands; pause and resume one.
struct ReactionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reactions",
        abstract: "Show each reaction's position, lag and last refused commands; pause or resume one.",
        discussion: """
            A reaction turns events into commands to other objects (the bundled `checkout` runs \
            the checkout saga). Each runs from its position in the global log; `lag` is how many \
            committed positions it has not run over yet. A command of it that was refused is a \
            CommandRefused event of reaction/NAME: the last ones are shown, newest first.

            Examples:
              evtool reactions --url http://127.0.0.1:8080
              evtool reactions --data ./data --refusals 50 --format table
              evtool reactions pause checkout --url http://127.0.0.1:8080 --token "$ADMIN"
              evtool reactions resume checkout --data ./data
            """,
        subcommands: [List.self, Pause.self, Resume.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Each reaction's position, lag, whether it is paused, and its last refused commands.")

        @Option(help: ArgumentHelp("How many of the last refused commands to show per reaction (0 to 1000).", valueName: "n"))
        var refusals = 10

        @OptionGroup var store: StoreOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (0...1_000).contains(refusals) else { throw ValidationError("--refusals must be from 0 to 1000, got \(refusals)") }
        }

        func run() async throws {
            let json: [UInt8]
            if let remote = try store.remote {
                json = try await remote.send(.GET, "/v1/reactions?refusals=\(refusals)").body
            } else {
                json = try await store.withStore(holder: "evtool reactions") { engine in
                    var writer = JSONWriter()
                    ReactionJSON.write(try engine.reactionStatuses(tenant: store.chosenTenant, refusalsMax: refusals), into: &writer)
                    return writer.bytes
                }
            }
            var printer = EventPrinter(format: output.format)
            switch output.format {
            case .json: printer.print(document: json)
            case .table: printer.print(raw: Array(Self.table(json).utf8))
            }
            printer.flush()
        }

        /// The statuses as lines: one per reaction, then one per refusal, indented.
        static func table(_ json: [UInt8]) -> String {
            guard let document = try? json.withUnsafeBytes({ try JSONValue(parsing: $0) }), let reactions = document["reactions"]?.arrayValue else { return "" }
            var lines = ["REACTION         POSITION        LAG  PAUSED  REFUSED"]
            for reaction in reactions {
                let name = reaction["name"]?.stringValue ?? "?"
                let cells = [
                    name.padding(toLength: 16, withPad: " ", startingAt: 0), pad(reaction["position"], 9), pad(reaction["lag"], 10),
                    (reaction["paused"] == .bool(true) ? "yes" : "no").padding(toLength: 7, withPad: " ", startingAt: 0), pad(reaction["refusals"], 8),
                ]
                lines.append(cells.joined(separator: " "))
                for refusal in reaction["lastRefusals"]?.arrayValue ?? [] {
                    let data = refusal["data"] ?? [:]
                    let what = "\(data["object"]?.stringValue ?? "?") \(data["command"]?.stringValue ?? "?")"
                    lines.append("  #\(refusal["seq"]?.integerValue ?? 0) at \(data["position"]?.integerValue ?? 0): \(what): \(data["code"]?.stringValue ?? "?") \(data["message"]?.stringValue ?? "")")
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }

        private static func pad(_ value: JSONValue?, _ width: Int) -> String {
            let text = value?.integerValue.map(String.init) ?? "?"
            return String(repeating: " ", count: max(0, width - text.count)) + text
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a reaction where it is (it stays stopped across restarts until resumed).",
            discussion: "Over --url this is the operator's (admin of the tenant default): a reaction runs for every tenant.")

        @Argument(help: ArgumentHelp("The reaction.", valueName: "name"))
        var name: String

        @OptionGroup var store: StoreOptions

        func validate() throws { try ReactionsCommand.validate(name) }

        func run() async throws { try await ReactionsCommand.setPaused(name, true, store) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a paused reaction again, from where it stopped.")

        @Argument(help: ArgumentHelp("The reaction.", valueName: "name"))
        var name: String

        @OptionGroup var store: StoreOptions

        func validate() throws { try ReactionsCommand.validate(name) }

        func run() async throws { try await ReactionsCommand.setPaused(name, false, store) }
    }

    /// Refuses a name no reaction can have (lowercase letters, digits and `-`).
    static func validate(_ name: String) throws {
        guard AnyReaction.isValidName(name) else {
            throw ValidationError("a reaction's name is lowercase letters, digits and -, got \(name.debugDescription)")
        }
    }

    /// Pauses or resumes `name` through the server or in the data folder, and says so.
    static func setPaused(_ name: String, _ paused: Bool, _ store: StoreOptions) async throws {
        let verb = paused ? "pause" : "resume"
        if let remote = try store.remote {
            _ = try await remote.send(.POST, "/v1/reactions/\(name)/\(verb)")
        } else {
            try await store.withStore(holder: "evtool reactions \(verb)") { engine in try await engine.setReactionPaused(name, paused) }
        }
        print("\(name) \(paused ? "paused" : "resumed")")
    }
}
