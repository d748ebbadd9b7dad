import ArgumentParser
import EventModel
import EventStore
import Foundation
import Synchronization

/// `evtool rebuild`: fold a view again for every object, after its version changed.
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild a view of every object from its events, with a progress bar.",
        discussion: """
            Each object's view is folded again (with its snapshots) and swapped in atomically; \
            the old state keeps serving until then. Progress is kept in the store: a rebuild \
            stopped in the middle (Ctrl-C, kill -9, a crash) resumes where it stopped when run \
            again, and never leaves a view half old, half new. The server starts one by itself \
            when a view's version changes.

            Examples:
              evtool rebuild stock
              evtool rebuild stock --type inventory --jobs 2
              evtool rebuild stock --force        # fold every object again
              evtool rebuild alerts --url http://127.0.0.1:8080
            """)

    @Argument(help: ArgumentHelp("The view, e.g. stock.", valueName: "view"))
    var view: String

    @Option(help: ArgumentHelp("Only objects of this type (default: every type with the view).", valueName: "type"))
    var type: String?

    @Option(help: "Workers folding at once (1-64).")
    var jobs = 2

    @Flag(help: "Fold every object again, even those whose stored state is current (repairs what `evtool verify` reports).")
    var force = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1 to 64") }
    }

    func run() async throws {
        let finished: JSONValue
        if let remote = store.remote {
            var members: [String: JSONValue] = ["jobs": .number(Double(jobs)), "force": .bool(force)]
            if let type { members["type"] = .string(type) }
            let started = try await remote.send(.POST, "/v1/projections/\(view)/rebuild", body: Array(JSONValue.object(members).jsonText.utf8))
            guard let id = (try? started.body.withUnsafeBytes { try JSONValue(parsing: $0) })?["id"]?.integerValue else {
                throw CommandFailure("the server answered without a job id")
            }
            var bar = ProgressBar()
            while true {
                let body = try await remote.send(.GET, "/v1/jobs/\(id)").body
                let job = try body.withUnsafeBytes { try JSONValue(parsing: $0) }
                let running = job["state"]?.stringValue == "running"
                bar.draw(
                    fraction: job["progress"]?.numberValue ?? 0, events: UInt64(job["events"]?.integerValue ?? 0),
                    rate: job["eventsPerSecond"]?.numberValue ?? 0, secondsLeft: job["secondsLeft"]?.numberValue, final: !running)
                if !running {
                    finished = job
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        } else {
            let engine = try store.openStore(holder: "evtool rebuild", mustExist: true)
            let bar = Mutex(ProgressBar())
            do {
                let job = try await engine.startRebuild(view: view, type: type, jobs: jobs, force: force)
                if job.chunksDone > 0 { FileHandle.standardError.write(Data("resuming job \(job.id) at \(job.chunksDone)/\(job.chunksTotal) chunks\n".utf8)) }
                let clock = engine
                let done = try await engine.runRebuild(job.id) { progress in
                    let elapsed = Double(max(1, clock.clockMilliseconds - progress.startedMilliseconds)) / 1000
                    bar.withLock {
                        $0.draw(
                            fraction: progress.progress, events: progress.events, rate: Double(progress.events) / elapsed,
                            secondsLeft: progress.progress > 0 ? elapsed * (1 - progress.progress) / progress.progress : nil)
                    }
                    return true
                }
                let elapsed = Double(max(1, (done.finishedMilliseconds ?? clock.clockMilliseconds) - done.startedMilliseconds)) / 1000
                bar.withLock { $0.draw(fraction: done.progress, events: done.events, rate: Double(done.events) / elapsed, secondsLeft: nil, final: true) }
                finished = done.json
            } catch {
                await engine.close()
                throw CommandFailure("\(error)")
            }
            await engine.close()
        }
        print(finished.jsonText)
        if finished["state"]?.stringValue != "done" { throw ExitCode(1) }
    }
}
