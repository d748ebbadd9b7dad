import ArgumentParser
import EventModel
import EventServer
import Foundation
import Logging

/// `evtool schema`: the object types and event schemas in `Schemas/`.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Check the schema folder.",
        discussion: """
            Examples:
              evtool schema check
              evtool schema check --schemas ./Schemas
            """,
        subcommands: [SchemaCheckCommand.self])
}

/// `evtool schema check`: loads and compiles every schema, as the server does at start-up.
struct SchemaCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and compile every <type>.schema.json; print the declared types and events.",
        discussion: """
            Exits 1 naming the file and the JSON Pointer of the first problem: a file that is not \
            JSON, not in the shape {"objectType", "description", "events": {"EventType": schema}}, \
            or a schema that is not valid JSON Schema (draft 2020-12).

            Examples:
              evtool schema check
              evtool schema check --schemas ./Schemas --format table
            """)

    @Option(help: ArgumentHelp("The schema folder.", valueName: "dir"))
    var schemas = "./Schemas"

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let catalog: SchemaCatalog
        do {
            catalog = try SchemaCatalog.load(directory: schemas, allowsUndeclared: false)
        } catch {
            throw CommandFailure(error.description)
        }
        var printer = EventPrinter(format: output.format)
        for type in catalog.types.values.sorted(by: { $0.objectType < $1.objectType }) {
            var writer = JSONWriter()
            writer.ascii("{\"objectType\":")
            writer.string(type.objectType)
            writer.ascii(",\"events\":")
            writer.value(.array(type.events.keys.sorted().map { .string($0) }))
            writer.ascii("}")
            printer.print(document: writer.bytes)
        }
        if catalog.types.isEmpty { throw CommandFailure("\(schemas) holds no <type>.schema.json file") }
        printer.flush()
    }
}

/// Loading the schema folder for commands that validate.
enum SchemaOptions {
    /// The catalog in `directory`, or in `./Schemas` when `directory` is nil; a missing default
    /// folder gives an empty catalog (with a warning), a missing explicit one is an error.
    static func loadCatalog(_ directory: String?, allowsUndeclared: Bool, logger: Logger) throws -> SchemaCatalog {
        let folder = directory ?? "./Schemas"
        var isDirectory: ObjCBool = false
        if directory == nil, !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            logger.warning("no schema folder at ./Schemas: every object type is undeclared\(allowsUndeclared ? "" : " and refused (404)"); pass --schemas DIR or --allow-undeclared")
            return SchemaCatalog(allowsUndeclared: allowsUndeclared)
        }
        do {
            return try SchemaCatalog.load(directory: folder, allowsUndeclared: allowsUndeclared)
        } catch {
            throw CommandFailure("cannot load the schemas: \(error)")
        }
    }
}
