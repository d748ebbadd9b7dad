import EventModel
import Foundation
import JSONSchema

/// Why the schema folder could not be loaded: which file, and what is wrong in it.
public struct SchemaCatalogError: Error, Sendable, CustomStringConvertible {
    /// The file at fault (or the folder).
    public let path: String
    /// What is wrong, with a JSON Pointer into the file where one applies.
    public let reason: String

    public var description: String { "\(path): \(reason)" }
}

/// The object types the server knows, from `Schemas/<type>.schema.json`: for each type, its
/// event types and the JSON Schema (draft 2020-12) of each event's `data`, and the schema of
/// each of its commands' bodies.
///
/// A file reads `{"objectType": "inventory", "description": "...", "commands": {"reserve":
/// {schema}, ...}, "events": {"Restocked": {schema}, ...}}` (`commands` optional). Every schema
/// is compiled when the catalog loads, so a bad one stops the server at start-up with its file
/// and pointer, never at the first append.
public struct SchemaCatalog: Sendable {
    /// One declared object type.
    public struct ObjectTypeSchemas: Sendable {
        /// The object type.
        public let objectType: String
        /// What the type is for.
        public let description: String
        /// Each event type's compiled schema.
        public let events: [String: JSONSchema]
        /// Each event type's schema as the file writes it (what `GET /v1/types/{type}` answers).
        public let eventDocuments: [String: JSONValue]
        /// Each command's body schema as the file writes it: what a client builds a form from
        /// (the decider decodes the body itself).
        public let commandDocuments: [String: JSONValue]

        init(
            objectType: String, description: String, events: [String: JSONSchema], eventDocuments: [String: JSONValue],
            commandDocuments: [String: JSONValue]
        ) {
            self.objectType = objectType
            self.description = description
            self.events = events
            self.eventDocuments = eventDocuments
            self.commandDocuments = commandDocuments
        }
    }

    /// The declared types by name.
    public let types: [String: ObjectTypeSchemas]
    /// Whether events of undeclared object types are accepted (stored unvalidated).
    public let allowsUndeclared: Bool

    /// A catalog of `types`.
    public init(types: [String: ObjectTypeSchemas] = [:], allowsUndeclared: Bool) {
        self.types = types
        self.allowsUndeclared = allowsUndeclared
    }

    /// Loads every `*.schema.json` in `directory`.
    /// - Throws: ``SchemaCatalogError`` naming the first file that is unreadable, not JSON, not
    ///   in the expected shape, or holding a schema that does not compile.
    public static func load(directory: String, allowsUndeclared: Bool) throws(SchemaCatalogError) -> SchemaCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".schema.json") }.sorted()
        } catch {
            throw SchemaCatalogError(path: directory, reason: "cannot list the folder (\(error.localizedDescription))")
        }
        var types: [String: ObjectTypeSchemas] = [:]
        for name in names {
            let path = directory + "/" + name
            let loaded = try loadFile(path, expectedType: String(name.dropLast(".schema.json".count)))
            types[loaded.objectType] = loaded
        }
        return SchemaCatalog(types: types, allowsUndeclared: allowsUndeclared)
    }

    private static func loadFile(_ path: String, expectedType: String) throws(SchemaCatalogError) -> ObjectTypeSchemas {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaCatalogError(path: path, reason: "cannot read the file")
        }
        let document: JSONValue
        do {
            document = try data.withUnsafeBytes { try JSONValue(parsing: $0) }
        } catch {
            throw SchemaCatalogError(path: path, reason: "not valid JSON: \(error)")
        }
        guard case .object(let members) = document else { throw SchemaCatalogError(path: path, reason: "must be a JSON object") }
        for key in members.keys where !["objectType", "description", "commands", "events", "$comment"].contains(key) {
            throw SchemaCatalogError(path: path, reason: "/\(key): unknown member; expected objectType, description, commands and events")
        }
        guard let objectType = members["objectType"]?.stringValue else {
            throw SchemaCatalogError(path: path, reason: "/objectType: required, a string")
        }
        guard objectType == expectedType else {
            throw SchemaCatalogError(path: path, reason: "/objectType is \"\(objectType)\" but the file is named for \"\(expectedType)\"")
        }
        do { _ = try ObjectType(objectType) } catch {
            throw SchemaCatalogError(path: path, reason: "/objectType: \(error)")
        }
        guard case .object(let eventSchemas)? = members["events"], !eventSchemas.isEmpty else {
            throw SchemaCatalogError(path: path, reason: "/events: required, an object mapping each event type to the schema of its data")
        }
        var compiled: [String: JSONSchema] = [:]
        for (eventType, schema) in eventSchemas {
            do {
                compiled[eventType] = try JSONSchema(schema)
            } catch {
                throw SchemaCatalogError(path: path, reason: "/events/\(eventType): \(error)")
            }
        }
        var commands: [String: JSONValue] = [:]
        if let declared = members["commands"] {
            guard case .object(let commandSchemas) = declared else {
                throw SchemaCatalogError(path: path, reason: "/commands: an object mapping each command to the schema of its body")
            }
            for (command, schema) in commandSchemas {
                do { _ = try JSONSchema(schema) } catch { throw SchemaCatalogError(path: path, reason: "/commands/\(command): \(error)") }
            }
            commands = commandSchemas
        }
        return ObjectTypeSchemas(
            objectType: objectType, description: members["description"]?.stringValue ?? "", events: compiled, eventDocuments: eventSchemas,
            commandDocuments: commands)
    }
}
