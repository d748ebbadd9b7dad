import ArgumentParser

/// Benchmarks of the engine, run by `Tools/benchmark`, which prints them as one table.
@main
struct EvBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evbench",
        abstract: "Measure evlog's append, replay and HTTP baselines.",
        discussion: """
            Each subcommand prints one line of key=value figures. Tools/benchmark builds \
            everything in release mode and runs them all in one go.

            Examples:
              evbench append --appenders 256 --objects distinct --seconds 5 --dir /tmp/b1
              evbench replay --events 1000000 --dir /tmp/b2
              evbench time-travel --events 1000000 --dir /tmp/b3
              evbench rebuild --objects 100000 --events-per-object 100 --dir /tmp/b4
              evbench listing --objects 1000000 --dir /tmp/b5
              evbench saga --skus 30 --callers 64 --seconds 5 --dir /tmp/b6
              evbench backup --events 1000000 --tail-events 100000 --dir /tmp/b7
              evbench hello-server --port 8081
            """,
        subcommands: [
            AppendBenchmark.self, ReplayBenchmark.self, TimeTravelBenchmark.self, RebuildBenchmark.self, ChangeCaptureBenchmark.self, LiveObjectsBenchmark.self, ListingBenchmark.self, LogViewBenchmark.self, SagaBenchmark.self, BackupBenchmark.self, RetentionBenchmark.self,
            HelloServer.self,
        ])
}
