import ArgumentParser
import EventModel
import EventStore
import EventStoreTesting
import Foundation
import Testing

@testable import EvTool

/// The repository's own `Schemas/` folder.
let repositorySchemas: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Schemas").path

/// The configuration evtool opens `data` with: its master key (`data/master.key`) included.
func folderConfiguration(_ data: String) throws -> StoreConfiguration {
    var configuration = StoreConfiguration(directory: data)
    configuration.masterKey = try MasterKeySource.key(data: data)
    return configuration
}

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
        let store = try EventStore(configuration: try folderConfiguration(data), logger: quietLogger)
        let events = try store.allEvents(of: "inventory/sku-1")
        await store.close()
        #expect(events.map(\.type) == ["Restocked", "Reserved"])
        #expect(events.map(\.data) == [#"{"qty":3}"#, #"{"qty":1,"orderId":"o-1","expiresAt":1795430000000}"#])
    }

    @Test("view reads a row by key, a page of rows, a part by pointer, at a seq; a bad read names the option")
    func viewReads() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.appending("data")
        try await run(["append", "inventory/sku-1", "--type", "Restocked", "--payload", #"{"qty": 9}"#, "--data", data])
        for order in ["o-1", "o-2", "p-1"] {
            let reserved = #"{"qty": 1, "orderId": "\#(order)", "expiresAt": 1795430000000}"#
            try await run(["append", "inventory/sku-1", "--type", "Reserved", "--payload", reserved, "--data", data])
        }
        for reads in [["--key", "o-2"], ["--prefix", "o-", "--limit", "1"], ["--limit", "2", "--after", "o-1"], ["--from", "o-2", "--to", "p"], ["--pointer", "/rows/o-1/qty"], ["--pointer", "/available", "--at", "2"]] {
            try await run(["view", "inventory/sku-1", "stock", "--data", data] + reads)
        }
        let refusals: [([String], String)] = [
            (["--key", "o-9"], "has no row o-9"), (["--key", "o-2", "--at", "2"], "has no row o-2"), (["--prefix", "o-", "--limit", "0"], "--limit must be"),
            (["--key", "o-1", "--after", "o-0"], "--after reads a range"), (["--pointer", "/rows/o-1/nothing"], "/rows/o-1/nothing"),
            (["--pointer", "available"], "--pointer is not an RFC 6901"),
        ]
        for (reads, message) in refusals {
            let failure = await #expect(throws: CommandFailure.self) { try await run(["view", "inventory/sku-1", "stock", "--data", data] + reads) }
            #expect(failure?.description.contains(message) == true, "\(reads): \(failure?.description ?? "")")
        }
        #expect(throws: (any Error).self) { _ = try EvTool.parseAsRoot(["view", "inventory/sku-1", "stock", "--param", "sensor"]) }
        #expect(throws: (any Error).self) { _ = try EvTool.parseAsRoot(["view", "inventory/sku-1", "stock", "--key", "a", "--param", "key=b"]) }
    }

    @Test("ls lists types and objects, views lists and reads cross-object views, on a data folder; unknown names fail clearly")
    func listings() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.appending("data")
        for sku in ["sku-2", "sku-1", "sku-10"] {
            try await run(["append", "inventory/\(sku)", "--type", "Restocked", "--payload", #"{"qty": 1}"#, "--data", data])
        }
        try await run(["ls", "--data", data])
        try await run(["ls", "inventory", "--prefix", "sku-1", "--format", "table", "--data", data])
        try await run(["ls", "inventory", "--all", "--limit", "1", "--data", data])
        try await run(["views", "--data", data])
        try await run(["views", "fleet", "--data", data])
        let missing = await #expect(throws: CommandFailure.self) { try await run(["views", "nope", "--data", data]) }
        #expect(missing?.description.contains("there are fleet") == true)
        let store = try EventStore(configuration: try folderConfiguration(data), logger: quietLogger)
        #expect(try store.listObjects(of: try ObjectType("inventory"), limit: 10).objects.map(\.id) == ["sku-1", "sku-10", "sku-2"])
        await store.close()
    }

    @Test("--tenant: with a data folder, each command reaches that tenant's objects only")
    func tenants() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.appending("data")
        try await run(["append", "inventory/sku-1", "--type", "Restocked", "--payload", #"{"qty": 3}"#, "--data", data, "--tenant", "acme"])
        try await run(["append", "inventory/sku-1", "--type", "Restocked", "--payload", #"{"qty": 5}"#, "--data", data])
        try await run(["fork", "inventory/sku-1", "what-if", "--at", "1", "--data", data, "--tenant", "acme"])
        let store = try EventStore(configuration: try folderConfiguration(data), logger: quietLogger)
        let acme = try store.allEvents(of: "inventory/sku-1", tenant: try Tenant("acme"))
        let own = try store.allEvents(of: "inventory/sku-1")
        let branches = try store.branches(of: try ObjectKey(parsing: "inventory/sku-1")).map(\.name.name)
        let acmeBranches = try store.branches(of: try ObjectKey(parsing: "inventory/sku-1", tenant: try Tenant("acme"))).map(\.name.name).sorted()
        await store.close()
        #expect(acme.map(\.data) == [#"{"qty":3}"#] && own.map(\.data) == [#"{"qty":5}"#])
        #expect(branches == ["main"] && acmeBranches == ["main", "what-if"])
        await #expect(throws: CommandFailure.self) { try await run(["read", "inventory/sku-1", "--branch", "what-if", "--data", data]) }
        try await run(["read", "inventory/sku-1", "--branch", "what-if", "--data", data, "--tenant", "acme"])
        try await run(["replay", "inventory/sku-1", "--branch", "what-if", "--data", data, "--tenant", "acme"])
        await #expect(throws: CommandFailure.self) { try await run(["replay", "inventory/sku-1", "--branch", "what-if", "--data", data]) }
        try await run(["ls", "inventory", "--data", data, "--tenant", "acme"])
    }

    @Test("sizes are bytes or whole KiB, MiB, GiB")
    func sizes() {
        #expect(ByteSize.parse("512MiB") == 512 << 20 && ByteSize.parse("2GiB") == 2 << 30 && ByteSize.parse("0") == 0 && ByteSize.parse("1000") == 1000)
        #expect(ByteSize.parse("3KiB") == 3072)
        for bad in ["", "MiB", "1.5GiB", "2GB", "-1", "١٢MiB", "99999999999999999999", "9223372036854775807GiB"] { #expect(ByteSize.parse(bad) == nil, "\(bad)") }
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
        ["serve", "--live-bytes-max", "2GB"],
        ["serve", "--live-bytes-max", "-1"],
        ["serve", "--checkpoint-rows-max", "0"],
        ["read", "inventory/sku-1", "--url", "ftp://x"],
        ["ls", "inventory", "--limit", "0"],
        ["ls", "--prefix", "sku-"],
        ["ls", "Bad Type"],
        ["ls", "inventory", "--after", "a b"],
        ["tail", "--url", "http://x", "--object", "inventory"],
        ["tail", "--url", "http://x", "--object-prefix", "sku-"],
        ["read", "inventory/sku-1", "--tenant", "Acme"],
        ["read", "inventory/sku-1", "--tenant", "acme", "--url", "http://x"],
        ["views", "fleet", "--tenant", "acme", "--url", "http://x"],
    ])
    func usageErrors(arguments: [String]) {
        #expect(throws: (any Error).self) { _ = try EvTool.parseAsRoot(arguments) }
    }

    @Test("every command's help teaches with examples", arguments: ["serve", "append", "read", "log", "stats", "schema", "view", "replay", "snapshot", "ls", "views", "tail"])
    func help(command: String) throws {
        let types: [String: any ParsableCommand.Type] = [
            "serve": ServeCommand.self, "append": AppendCommand.self, "read": ReadCommand.self, "log": LogCommand.self, "stats": StatsCommand.self,
            "schema": SchemaCommand.self, "view": ViewCommand.self, "replay": ReplayCommand.self, "snapshot": SnapshotCommand.self,
            "ls": ListCommand.self, "views": ViewsCommand.self, "tail": TailCommand.self,
        ]
        let help = EvTool.helpMessage(for: try #require(types[command]))
        #expect(help.contains("Examples:"))
        #expect(help.contains("evtool \(command)"))
    }
}
