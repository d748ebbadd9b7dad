import ArgumentParser
import EventModel
import EventStore
import Foundation
import Synchronization

/// `evtool verify`: fold objects again and compare with what is stored.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-fold objects from their events and compare with their stored views and snapshots.",
        discussion: """
            Every view of every object branch (or of --type, or a random --sample of them) is \
            folded from the events alone and compared, by the CRC-32C of the state's JSON, with \
            the stored state and every snapshot. Each disagreement is printed as a JSON line \
            {"object", "branch", "subject", "problem"}: a non-deterministic reducer, a damaged \
            store, or a view waiting for `evtool rebuild`. Then (unless --type or --sample) \
            every cross-object view is folded again from the whole log through its stored \
            position and compared with its summary, snapshots, rows and order; a disagreement \
            is a line {"view", "subject", "problem"}. A summary goes to standard error; the \
            exit status is 1 when anything disagrees. Works on a data folder, or on a running \
            server with --url (POST /v1/admin/verify, the operator's): the server checks while \
            it keeps serving, evtool follows with the same bar and prints the same lines.

            Examples:
              evtool verify
              evtool verify --type inventory --sample 1000
              evtool verify --url http://127.0.0.1:8080
            """)

    @Option(help: ArgumentHelp("Only objects of this type.", valueName: "type"))
    var type: String?

    @Option(help: ArgumentHelp("Check this many object branches, picked at random.", valueName: "n"))
    var sample: Int?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() async throws {
        let result: JSONValue
        if let remote = try store.remote {
            result = try await verify(on: remote)
        } else {
            result = try await store.withStore(holder: "evtool verify") { engine in
                if let type, engine.objectTypes[type] == nil {
                    throw CommandFailure("no object type \(type) has views; types: \(engine.objectTypes.keys.sorted().joined(separator: ", "))")
                }
                let bar = Mutex(ProgressBar(unit: "objects"))
                let started = Date()
                return try await engine.verifyStore(type: type, sample: sample) { done, total in
                    bar.withLock { Self.draw(&$0, done: done, total: total, since: started) }
                }.json
            }
        }
        try Self.report(result)
    }

    /// Starts a verification on the server (`POST /v1/admin/verify`), follows it with the
    /// progress bar, and returns its result.
    private func verify(on remote: RemoteStore) async throws -> JSONValue {
        var members: [String: JSONValue] = [:]
        if let type { members["type"] = .string(type) }
        if let sample { members["sample"] = .number(Double(sample)) }
        let started = try await remote.send(.POST, "/v1/admin/verify", body: Array(JSONValue.object(members).jsonText.utf8)).body
        guard let id = (try? started.withUnsafeBytes { try JSONValue(parsing: $0) })?["id"]?.integerValue else {
            throw CommandFailure("the server's answer to POST /v1/admin/verify names no run")
        }
        var bar = ProgressBar(unit: "objects")
        let since = Date()
        while true {
            let body = try await remote.send(.GET, "/v1/admin/verify/\(id)").body
            guard let run = try? body.withUnsafeBytes({ try JSONValue(parsing: $0) }) else { throw CommandFailure("the server's answer about verification \(id) is not JSON") }
            switch run["state"]?.stringValue {
            case "done":
                guard let result = run["result"] else { throw CommandFailure("verification \(id) is done but the server sent no result") }
                return result
            case "failed":
                throw CommandFailure("verification \(id) failed on the server: \(run["error"]?.stringValue ?? "no reason given")")
            default:
                Self.draw(&bar, done: run["checked"]?.integerValue ?? 0, total: run["total"]?.integerValue ?? 0, since: since)
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    private static func draw(_ bar: inout ProgressBar, done: Int, total: Int, since started: Date) {
        let elapsed = max(0.001, Date().timeIntervalSince(started))
        bar.draw(
            fraction: Double(done) / Double(max(1, total)), events: UInt64(done), rate: Double(done) / elapsed,
            secondsLeft: elapsed * Double(total - done) / Double(max(1, done)))
    }

    /// Prints the findings of a ``StoreVerification/json`` (a data folder's or a server's: the
    /// same lines) and its summary; exit status 1 when anything disagrees.
    private static func report(_ result: JSONValue) throws {
        guard case .array(let findings)? = result["findings"], let objects = result["objects"] else {
            throw CommandFailure("the verification's result lacks its findings or counts")
        }
        for finding in findings { print(finding.jsonText) }
        func count(_ value: JSONValue?, _ name: String) -> Int { value?[name]?.integerValue ?? 0 }
        let logViews = result["logViews"].flatMap { $0 == .null ? nil : $0 }
        let objectFindings = findings.filter { $0["object"] != nil }.count
        FileHandle.standardError.write(
            Data(
                "verified \(count(objects, "checked")) object branches: \(count(objects, "views")) views, \(count(objects, "snapshots")) snapshots, \(count(objects, "events")) events folded; \(objectFindings) disagreements\n"
                    .utf8))
        if let logViews {
            let stalePlaces = count(logViews, "stalePlaces")
            let stale = stalePlaces > 0 ? " (\(stalePlaces) places in an order left by writes cut short, which reads pass over)" : ""
            FileHandle.standardError.write(
                Data(
                    "verified \(count(logViews, "views")) cross-object views: \(count(logViews, "snapshots")) snapshots, \(count(logViews, "rows")) rows, \(count(logViews, "events")) events folded; \(findings.count - objectFindings) disagreements\(stale)\n"
                        .utf8))
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}
