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

            A cross-object view (fleet, low-stock, ...) is rebuilt by forgetting what is stored \
            of it and folding the whole log again (a server does it in the background); the \
            bar follows its lag to 0.

            Examples:
              evtool rebuild stock
              evtool rebuild stock --type inventory --jobs 2
              evtool rebuild stock --force        # fold every object again
              evtool rebuild alerts --url http://127.0.0.1:8080
              evtool rebuild low-stock
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
        if let remote = try store.remote {
            var members: [String: JSONValue] = ["jobs": .number(Double(jobs)), "force": .bool(force)]
            if let type { members["type"] = .string(type) }
            let started = try await remote.send(.POST, "/v1/projections/\(view)/rebuild", body: Array(JSONValue.object(members).jsonText.utf8))
            let answer = try? started.body.withUnsafeBytes { try JSONValue(parsing: $0) }
            if answer?["id"] == nil, answer?["view"] != nil {
                try await followLogView(remote)
                return
            }
            guard let id = answer?["id"]?.integerValue else {
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
            if engine.logViews.contains(where: { $0.name == view }) {
                do { try await rebuildLogView(engine) } catch {
                    await engine.close()
                    throw CommandFailure("\(error)")
                }
                await engine.close()
                return
            }
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

    /// Forgets the cross-object view and folds the whole log again, storing it once a second;
    /// prints its position.
    private func rebuildLogView(_ engine: EventStore) async throws {
        guard type == nil else { throw ValidationError("--type is for a view of objects; \(view) is a cross-object view, folded from the whole log") }
        try await engine.resetLogView(view)
        var bar = ProgressBar()
        let started = Date()
        let head = engine.commits.committedPosition
        var folded: UInt64 = 0
        while true {
            let step = try await engine.catchUpLogViews(writeIntervalMilliseconds: 1_000)
            let lag = try engine.logViewLag()[view] ?? 0
            folded = head - min(head, lag)
            let elapsed = max(0.001, Date().timeIntervalSince(started))
            bar.draw(
                fraction: head == 0 ? 1 : Double(folded) / Double(head), events: folded, rate: Double(folded) / elapsed,
                secondsLeft: folded > 0 ? elapsed * Double(lag) / Double(folded) : nil, final: step == 0)
            if step == 0 { break }
        }
        try await engine.catchUpLogViews(limit: 0)
        guard let position = try engine.logViewPositions().first(where: { $0.view == view }) else { return }
        var writer = JSONWriter()
        position.write(into: &writer)
        print(String(decoding: writer.bytes, as: UTF8.self))
    }

    /// Follows a cross-object view the server folds again until it has caught up with the log;
    /// prints its position.
    private func followLogView(_ remote: RemoteStore) async throws {
        var bar = ProgressBar()
        while true {
            let body = try await remote.send(.GET, "/v1/views").body
            let listed = try body.withUnsafeBytes { try JSONValue(parsing: $0) }
            guard case .array(let views)? = listed["views"], let entry = views.first(where: { $0["view"]?.stringValue == view }) else {
                throw CommandFailure("the server does not list the view \(view)")
            }
            let position = UInt64(entry["position"]?.integerValue ?? 0)
            let lag = UInt64(entry["lag"]?.integerValue ?? 0)
            let total = position + lag
            bar.draw(fraction: total == 0 ? 1 : Double(position) / Double(total), events: position, rate: 0, secondsLeft: nil, final: lag == 0)
            if lag == 0 {
                print(entry.jsonText)
                return
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}
