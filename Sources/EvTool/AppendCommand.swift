import ArgumentParser
import EventModel
import EventServer
import EventStore
import Foundation
import Logging

/// `evtool append`: append events to one object.
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append events to an object.",
        discussion: """
            Appends one event (--type, --payload) or a whole request body (--body, the JSON the HTTP \
            API takes: {"expectedVersion": N, "events": [...]}). The events of one call are \
            appended all together or not at all. Prints the answer: object, firstSeq, lastSeq, \
            version and position.

            Examples:
              evtool append inventory/sku-42 --type Restocked --payload '{"qty":10}'
              evtool append inventory/sku-42 --type Reserved --payload '{"qty":2}' --expected-version 1
              evtool append inventory/sku-42 --body events.json
              echo '{"events":[{"type":"Restocked","data":{"qty":1}}]}' | evtool append inventory/sku-42 --body -
              evtool append inventory/sku-42 --type Restocked --payload '{"qty":1}' --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object: TYPE/ID, e.g. inventory/sku-42.", valueName: "object"))
    var object: String

    @Option(help: "The event type (with --payload).")
    var type: String?

    @Option(help: "The event's data: a JSON object.")
    var payload = "{}"

    @Option(help: "The event metadata: a JSON object.")
    var metadata: String?

    @Option(help: "The event id (a UUID); a retry with the same id is answered with the original numbers.")
    var id: String?

    @Option(help: "Append only if the object's version is exactly this (0: the object must be new).")
    var expectedVersion: UInt64?

    @Option(help: ArgumentHelp("A whole request body from a file, or - for standard input.", valueName: "file"))
    var body: String?

    @Option(help: ArgumentHelp("With --data: the schema folder to validate against (default ./Schemas).", valueName: "dir"))
    var schemas: String?

    @Flag(help: "With --data: accept object types no schema declares.")
    var allowUndeclared = false

    @OptionGroup var branch: BranchOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parseObject(object)
        guard (type == nil) != (body == nil) else { throw ValidationError("give either --type (with --payload) or --body") }
    }

    func run() async throws {
        let key = try parseObject(object, tenant: store.chosenTenant)
        let requestBody = try makeBody()
        var printer = EventPrinter(format: output.format)
        if let remote = try store.remote {
            let answer = try await remote.send(.POST, RemoteStore.path(key) + "/events\(branch.query("?"))", body: requestBody)
            printer.print(document: answer.body)
        } else {
            var logger = Logger(label: "evtool")
            logger.logLevel = .warning
            let catalog = try SchemaOptions.loadCatalog(schemas, allowsUndeclared: allowUndeclared, logger: logger)
            if catalog.types[key.type.name] == nil && !catalog.allowsUndeclared {
                throw CommandFailure("no schema declares the object type \(key.type); add Schemas/\(key.type).schema.json or pass --allow-undeclared")
            }
            let engine = try store.openStore(holder: "evtool append")
            let result: Result<AppendOutcome, any Error>
            do {
                let parsed = try requestBody.withUnsafeBytes {
                    try AppendRequestParser.parse($0, limits: engine.configuration.limits, keepingData: catalog.needsData(for: key.type))
                }
                if case .invalid(let violations) = catalog.validate(objectType: key.type, eventTypes: parsed.eventTypes, data: parsed.dataValues) {
                    throw CommandFailure("the events do not match their schemas:\n" + violations.map { "  \($0.pointer): \($0.message)" }.joined(separator: "\n"))
                }
                let request = AppendRequest(
                    stream: StreamName(object: key, branch: branch.name), expectedVersion: parsed.expectedVersion ?? .any, events: parsed.events, data: parsed.dataValues)
                result = .success(try await engine.append(request))
            } catch {
                result = .failure(error)
            }
            await engine.close()
            switch result {
            case .success(let outcome):
                var writer = JSONWriter()
                EventJSON.write(outcome, into: &writer)
                printer.print(document: writer.bytes)
            case .failure(let error as AppendRequestError):
                throw CommandFailure(Self.describe(error))
            case .failure(let error):
                throw CommandFailure("\(error)")
            }
        }
        printer.flush()
    }

    /// The request body: the one given with --body, or one built from --type and --payload.
    private func makeBody() throws -> [UInt8] {
        if let body {
            let handle = body == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: body)
            guard let handle else { throw CommandFailure("cannot read \(body)") }
            return Array(handle.readDataToEndOfFile())
        }
        var writer = JSONWriter()
        writer.ascii("{")
        if let expectedVersion {
            writer.ascii("\"expectedVersion\":")
            writer.integer(expectedVersion)
            writer.ascii(",")
        }
        writer.ascii("\"events\":[{\"type\":")
        writer.string(type ?? "")
        writer.ascii(",\"data\":")
        writer.bytes.append(contentsOf: payload.utf8)
        if let metadata {
            writer.ascii(",\"metadata\":")
            writer.bytes.append(contentsOf: metadata.utf8)
        }
        if let id {
            writer.ascii(",\"id\":")
            writer.string(id)
        }
        writer.ascii("}]}")
        return writer.bytes
    }

    private static func describe(_ error: AppendRequestError) -> String {
        switch error {
        case .malformedJSON(let syntax): "the events are not valid JSON: \(syntax)"
        case .invalidField(let pointer, let reason): "\(pointer.isEmpty ? "the body" : pointer) \(reason)"
        case .tooLarge(let field, let limit, let actual): "\(field) is \(actual), above the limit of \(limit)"
        }
    }
}
