import ArgumentParser
import EventModel
import EventStore
import Foundation

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
            exit status is 1 when anything disagrees. Works on a data folder.

            Examples:
              evtool verify
              evtool verify --type inventory --sample 1000
            """)

    @Option(help: ArgumentHelp("Only objects of this type.", valueName: "type"))
    var type: String?

    @Option(help: ArgumentHelp("Check this many object branches, picked at random.", valueName: "n"))
    var sample: Int?

    @Option(help: ArgumentHelp("The data folder.", valueName: "dir"))
    var data = "./data"

    func validate() throws {
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() async throws {
        let engine = try StoreOptions.open(data: data, holder: "evtool verify")
        if let type, engine.objectTypes[type] == nil {
            await engine.close()
            throw CommandFailure("no object type \(type) has views; types: \(engine.objectTypes.keys.sorted().joined(separator: ", "))")
        }
        var bar = ProgressBar(unit: "objects")
        let started = Date()
        let summary: VerifySummary
        var logViews = LogViewVerifySummary()
        do {
            summary = try engine.verify(type: type, sample: sample) { done, total in
                let elapsed = max(0.001, Date().timeIntervalSince(started))
                bar.draw(
                    fraction: Double(done) / Double(max(1, total)), events: UInt64(done), rate: Double(done) / elapsed,
                    secondsLeft: elapsed * Double(total - done) / Double(max(1, done)))
            }
            if type == nil, sample == nil { logViews = try engine.verifyLogViews() }
        } catch {
            await engine.close()
            throw CommandFailure(error.description)
        }
        await engine.close()
        for finding in summary.findings {
            print(
                JSONValue.object([
                    "object": .string(finding.stream.object.description), "branch": .string(finding.stream.branch.name),
                    "subject": .string(finding.subject), "problem": .string(finding.problem),
                ]).jsonText)
        }
        for finding in logViews.findings {
            print(JSONValue.object(["view": .string(finding.view), "subject": .string(finding.subject), "problem": .string(finding.problem)]).jsonText)
        }
        FileHandle.standardError.write(
            Data(
                "verified \(summary.objects) object branches: \(summary.views) views, \(summary.snapshots) snapshots, \(summary.events) events folded; \(summary.findings.count) disagreements\n"
                    .utf8))
        if type == nil, sample == nil {
            let stale = logViews.stalePlaces > 0 ? " (\(logViews.stalePlaces) places in an order left by writes cut short, which reads pass over)" : ""
            FileHandle.standardError.write(
                Data(
                    "verified \(logViews.views) cross-object views: \(logViews.snapshots) snapshots, \(logViews.rows) rows, \(logViews.events) events folded; \(logViews.findings.count) disagreements\(stale)\n"
                        .utf8))
        }
        if !summary.findings.isEmpty || !logViews.findings.isEmpty { throw ExitCode(1) }
    }
}
