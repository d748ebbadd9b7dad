import ArgumentParser
import EventStore
import EventStoreTesting
import Foundation
import Testing

@testable import EvTool

/// The repository's own `Schemas/` folder.
let repositorySchemas: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Schemas").path

@Suite("evtool")
struct EvToolTests {
    private func run(_ arguments: [String]) async throws {
        var command = try EvTool.parseAsRoot(arguments)
        if var asyncCommand = command as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
    }

    @Test("append and read work on a data folder directly")
    func appendDirect() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.appending("data")
        let schemas = ["--schemas", repositorySchemas]
        try await run(["append", "inventory/sku-1", "--type", "Restocked", "--payload", #"{"qty": 3}"#, "--data", data] + schemas)
        let reserved = #"{"qty": 1, "orderId": "o-1", "expiresAt": 1795430000000}"#
        try await run(["append", "inventory/sku-1", "--type", "Reserved", "--payload", reserved, "--expected-version", "1", "--data", data] + schemas)
        await #expect(throws: CommandFailure.self) {
            try await run(["append", "inventory/sku-1", "--type", "Reserved", "--payload", reserved, "--expected-version", "1", "--data", data] + schemas)
        }
        await #expect(throws: CommandFailure.self) {
            try await run(["append", "inventory/sku-1", "--type", "Reserved", "--payload", "{not json", "--data", data] + schemas)
        }
        let invalid = await #expect(throws: CommandFailure.self) {
            try await run(["append", "inventory/sku-1", "--type", "Restocked", "--payload", #"{"qty": 0}"#, "--data", data] + schemas)
        }
        #expect(invalid?.description.contains("/events/0/data/qty") == true)
        await #expect(throws: CommandFailure.self) {
            try await run(["append", "account/a-1", "--type", "Opened", "--payload", "{}", "--data", data] + schemas)
        }
        try await run(["append", "account/a-1", "--type", "Opened", "--payload", "{}", "--data", data, "--allow-undeclared"] + schemas)
        try await run(["schema", "check"] + schemas)
        try await run(["view", "inventory/sku-1", "stock", "--data", data])
        try await run(["replay", "inventory/sku-1", "--to", "1", "--data", data])
        try await run(["snapshot", "inventory/sku-1", "--data", data])
        try await run(["replay", "inventory/sku-1", "--step", "--as-of", "2026-11-23T10:00:00Z", "--data", data])
        await #expect(throws: CommandFailure.self) { try await run(["view", "inventory/sku-1", "nothing", "--data", data]) }
        await #expect(throws: CommandFailure.self) { try await run(["read", "inventory/sku-1", "--data", directory.appending("typo")]) }
        try await run(["read", "inventory/sku-1", "--data", data, "--format", "table"])
        try await run(["log", "--data", data])
        try await run(["stats", "--data", data])
        let store = try EventStore(configuration: StoreConfiguration(directory: data), logger: quietLogger)
        let events = try store.allEvents(of: "inventory/sku-1")
        await store.close()
        #expect(events.map(\.type) == ["Restocked", "Reserved"])
        #expect(events.map(\.data) == [#"{"qty":3}"#, #"{"qty":1,"orderId":"o-1","expiresAt":1795430000000}"#])
    }

    @Test("a data folder held by another store is refused with a clear message")
    func folderInUse() async throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        let failure = await #expect(throws: CommandFailure.self) {
            try await run(["read", "inventory/sku-1", "--data", test.store.configuration.directory])
        }
        #expect(failure?.description.contains("is in use by test, pid") == true)
        #expect(failure?.description.contains("--url") == true)
    }

    @Test("usage errors are caught before anything runs", arguments: [
        ["append", "inventory/sku-1"],
        ["append", "inventory/sku-1", "--type", "A", "--body", "-"],
        ["append", "bad key", "--type", "A"],
        ["log", "--follow"],
        ["read", "inventory/sku-1", "--from", "0"],
        ["serve", "--port", "70000"],
        ["read", "inventory/sku-1", "--url", "ftp://x"],
    ])
    func usageErrors(arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try EvTool.parseAsRoot(arguments) }
    }

    @Test("every command's help teaches with examples", arguments: ["serve", "append", "read", "log", "stats", "schema", "view", "replay", "snapshot"])
    func help(command: String) throws {
        let types: [String: any ParsableCommand.Type] = [
            "serve": ServeCommand.self, "append": AppendCommand.self, "read": ReadCommand.self, "log": LogCommand.self, "stats": StatsCommand.self,
            "schema": SchemaCommand.self, "view": ViewCommand.self, "replay": ReplayCommand.self, "snapshot": SnapshotCommand.self,
        ]
        let help = EvTool.helpMessage(for: try #require(types[command]))
        #expect(help.contains("Examples:"))
        #expect(help.contains("evtool \(command)"))
    }
}
