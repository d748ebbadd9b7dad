import ArgumentParser
import Foundation
import EventModel
import EventStore
import Logging
import Projections

/// Where a command's data is: a data folder opened directly, or a running server.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data folder to open directly.", valueName: "dir"))
    var data = "./data"

    @Option(name: .long, help: ArgumentHelp("A running server to talk to instead of a data folder, e.g. http://127.0.0.1:8080.", valueName: "url"))
    var url: String?

    @OptionGroup var tenantOption: TenantOptions

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url must start with http:// or https://, e.g. http://127.0.0.1:8080")
        }
        if url != nil, tenantOption.tenant != nil {
            throw ValidationError("--tenant is for --data: over --url the token's tenant is the one reached")
        }
    }

    /// The tenant `--tenant` names, else the default one.
    var chosenTenant: Tenant { tenantOption.chosen }

    /// The server to talk to, if `--url` was given.
    var remote: RemoteStore? { get throws { try url.map { try RemoteStore(baseURL: $0, client: client) } } }

    /// Opens the data folder; refuses, with the holder's name, a folder another process holds.
    /// With `mustExist` (commands that only read), a missing folder is an error, not a new store.
    func openStore(holder: String, mustExist: Bool = false) throws -> EventStore {
        if mustExist { return try Self.open(data: data, holder: holder) }
        return try Self.create(data: data, holder: holder)
    }

    /// Opens the data folder (which must hold a store unless `mustExist` is false), runs `body`
    /// on it and closes it whatever happens; a store error becomes a ``CommandFailure`` with its
    /// message.
    func withStore<R>(holder: String, mustExist: Bool = true, _ body: (EventStore) async throws -> R) async throws -> R {
        let engine = try openStore(holder: holder, mustExist: mustExist)
        do {
            let result = try await body(engine)
            await engine.close()
            return result
        } catch let error as EventStoreError {
            await engine.close()
            throw CommandFailure(error.description)
        } catch {
            await engine.close()
            throw error
        }
    }

    /// Opens the existing store in `data`, runs `body` on it and closes it whatever happens;
    /// a store error becomes a ``CommandFailure`` with its message.
    static func withStore<R>(data: String, holder: String, _ body: (EventStore) async throws -> R) async throws -> R {
        var options = try StoreOptions.parse([])
        options.data = data
        return try await options.withStore(holder: holder, body)
    }

    /// Opens the existing store in `data`; a folder without one is an error.
    static func open(data: String, holder: String) throws -> EventStore {
        guard FileManager.default.fileExists(atPath: data + "/data.mdb") else {
            throw CommandFailure("no store at \(data) (no data.mdb there); pass --data DIR, or --url for a running server")
        }
        return try create(data: data, holder: holder)
    }

    /// Opens the store in `data`, creating it when the folder has none.
    static func openOrCreate(data: String, holder: String) throws -> EventStore { try create(data: data, holder: holder) }

    private static func create(data: String, holder: String) throws -> EventStore {
        var logger = Logger(label: "evtool")
        logger.logLevel = .warning
        var configuration = StoreConfiguration(directory: data)
        configuration.masterKey = try MasterKeySource.key(data: data)
        do {
            return try EventStore(
                configuration: configuration, objectTypes: BundledTypes.all, logViews: BundledTypes.logViews, reactions: BundledTypes.reactions,
                holder: holder, logger: logger)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// `--tenant`: whose objects a command reaches in a data folder opened directly.
struct TenantOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --data: the tenant whose objects, consumers and events the command reaches (default: default, the tenant of a server without --auth). With --url, the token's tenant is the one.",
            valueName: "tenant"))
    var tenant: String?

    func validate() throws {
        if let tenant, !Tenant.isValid(tenant) {
            throw ValidationError("--tenant must be 1 to 63 of a-z, 0-9 and -, got \(tenant.debugDescription)")
        }
    }

    /// The tenant named (checked by ``validate()``), else the default one.
    var chosen: Tenant { tenant.flatMap { try? Tenant($0) } ?? .default }
}

/// How evtool proves who it is to a server, and which certificate authority it trusts.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A bearer token (JWT) or API key for a server with --auth (default: $EVLOG_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("A PEM file of the certificate authority to trust for https:// (a server's own, self-signed, certificate say).", valueName: "file"))
    var caCert: String?

    /// `--token`, or `EVLOG_TOKEN`.
    var credential: String? { token ?? ProcessInfo.processInfo.environment["EVLOG_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } }
}

/// How a command prints events.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// One JSON object per line.
    case json
    /// Aligned columns for people.
    case table
}

struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output: json (one JSON object per line) or table.")
    var format: OutputFormat = .json
}

/// A failure to report as `error: <message>` with exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Parses `type/id` as a command argument: an object of `tenant`.
func parseObject(_ text: String, tenant: Tenant = .default) throws -> ObjectKey {
    do { return try ObjectKey(parsing: text, tenant: tenant) } catch { throw ValidationError("\(error); objects are TYPE/ID, e.g. inventory/sku-42") }
}

/// A branch name given as `option`, or a usage error saying what names may hold.
func parseBranch(_ text: String, option: String) throws -> BranchName {
    do { return try BranchName(text) } catch { throw ValidationError("\(option): \(error)") }
}

/// `--branch`: which line of an object's history a command works on.
struct BranchOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The object's branch (see `evtool fork`).", valueName: "branch"))
    var branch = "main"

    func validate() throws { _ = try parseBranch(branch, option: "--branch") }

    /// The branch chosen.
    var name: BranchName { (try? BranchName(branch)) ?? .main }

    /// `?branch=NAME` (with `separator` first) for a branch other than main; empty for main.
    func query(_ separator: String) -> String { name == .main ? "" : "\(separator)branch=\(name.name)" }
}
