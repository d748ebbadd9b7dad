import ArgumentParser
import EventModel
import EventStore

/// `evtool ls`: the object types and their counts, or the objects of one type.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the object types (with their object counts), or the objects of one type.",
        discussion: """
            Without a type: every type that has objects (and, from a server, every declared one), \
            with how many objects each has. With a type: its objects in id order, each with its \
            version (the head of main), its branches and the time of its last commit, a page of \
            --limit at a time; --all pages through every one. Read from the index the writer keeps \
            with every append, so a page costs the same in a type of ten objects or of millions.

            Examples:
              evtool ls
              evtool ls inventory --format table
              evtool ls inventory --prefix sku-4 --limit 20
              evtool ls inventory --after sku-42            # the page after sku-42
              evtool ls inventory --all --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The object type to list; none lists the types.", valueName: "type"))
    var type: String?

    @Option(help: ArgumentHelp("Only ids that start with this.", valueName: "prefix"))
    var prefix = ""

    @Option(help: ArgumentHelp("Start after this id (the next of the page before).", valueName: "id"))
    var after: String?

    @Option(help: ArgumentHelp("Objects per page, 1 to 1,000.", valueName: "n"))
    var limit = 100

    @Flag(help: "Page through every object of the type (ignores --limit's page end).")
    var all = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let type { _ = try parseType(type) }
        guard (1...EventStore.listingLimitMax).contains(limit) else { throw ValidationError("--limit must be 1 to \(EventStore.listingLimitMax), got \(limit)") }
        if let after {
            do { _ = try ObjectID(after) } catch { throw ValidationError("--after: \(error)") }
        }
        if type == nil, !prefix.isEmpty || after != nil || all { throw ValidationError("--prefix, --after and --all list the objects of a type: give the type") }
    }

    func run() async throws {
        var printer = ListingPrinter(format: output.format)
        guard let type else {
            let body: [UInt8]
            if let remote = try store.remote {
                body = try await remote.send(.GET, "/v1/objects").body
            } else {
                body = ObjectTypeCount.json(try await store.withStore(holder: "evtool ls") { try $0.objectTypeCounts(tenant: store.chosenTenant) })
            }
            printer.printTypes(body)
            printer.flush()
            return
        }
        let objectType = try parseType(type)
        var after = after
        repeat {
            let body: [UInt8]
            if let remote = try store.remote {
                var query = "limit=\(limit)"
                if !prefix.isEmpty { query += "&prefix=\(prefix)" }
                if let after { query += "&after=\(after)" }
                body = try await remote.send(.GET, "/v1/objects/\(objectType.name)?\(query)").body
            } else {
                body = try await store.withStore(holder: "evtool ls") { [after] engine in
                    try engine.listObjects(of: objectType, tenant: store.chosenTenant, prefix: prefix, after: after, limit: limit).json()
                }
            }
            after = printer.printObjects(body)
            printer.flush()
        } while all && after != nil
    }

    private func parseType(_ text: String) throws -> ObjectType {
        do { return try ObjectType(text) } catch { throw ValidationError("\(error); types are like inventory, building") }
    }
}

/// Prints listings: one JSON object per line, or table rows.
private struct ListingPrinter {
    let format: OutputFormat
    private var printer: EventPrinter
    private var printedHeader = false

    init(format: OutputFormat) {
        self.format = format
        printer = EventPrinter(format: format)
    }

    mutating func printTypes(_ body: [UInt8]) {
        guard let answer = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }), case .array(let types)? = answer["types"] else {
            return printer.print(document: body)
        }
        for type in types {
            switch format {
            case .json: printer.print(document: Array(type.jsonText.utf8))
            case .table:
                header("TYPE                             OBJECTS")
                line(pad(type["type"]?.stringValue ?? "", 32) + " " + (type["objects"].map(Self.number) ?? ""))
            }
        }
    }

    /// Prints a page of objects; the `next` to read on after, nil on the last page.
    mutating func printObjects(_ body: [UInt8]) -> String? {
        guard let answer = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }), case .array(let objects)? = answer["objects"] else {
            printer.print(document: body)
            return nil
        }
        for object in objects {
            switch format {
            case .json: printer.print(document: Array(object.jsonText.utf8))
            case .table:
                header("ID                                       VERSION  BRANCHES  LAST COMMIT")
                var time = JSONWriter(capacity: 32)
                if case .number(let milliseconds)? = object["lastCommitTime"] { RFC3339.write(milliseconds: Int64(milliseconds), into: &time) }
                line(
                    pad(object["id"]?.stringValue ?? "", 40) + " " + pad(object["version"].map(Self.number) ?? "", 8) + " "
                        + pad(object["branches"].map(Self.number) ?? "", 9) + " " + String(decoding: time.bytes, as: UTF8.self))
            }
        }
        return answer["next"]?.stringValue
    }

    mutating func flush() { printer.flush() }

    private mutating func header(_ text: String) {
        guard !printedHeader else { return }
        printedHeader = true
        line(text)
    }

    private mutating func line(_ text: String) { printer.print(raw: Array((text + "\n").utf8)) }

    private func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }

    private static func number(_ value: JSONValue) -> String {
        if case .number(let number) = value { return String(Int64(number)) }
        return value.jsonText
    }
}
