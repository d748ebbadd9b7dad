import EventModel
import EventStore
import Logging
import ServiceLifecycle

/// Runs the sinks of a sinks file inside the server, each as a named consumer, until the
/// server shuts down (a batch in flight is delivered again at the next start).
public struct SinkService: Service {
    let store: EventStore
    let sinks: [SinkConfiguration]
    let logger: Logger

    /// A service running `sinks` against `store`.
    public init(store: EventStore, sinks: [SinkConfiguration], logger: Logger) {
        self.store = store
        self.sinks = sinks
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for configuration in sinks {
                    group.addTask {
                        await Self.runForever(configuration, store: store, logger: logger)
                    }
                }
            }
        }
    }

    /// Runs one sink, starting it again (after a pause) if it stops on an error, until cancelled.
    public static func runForever(_ configuration: SinkConfiguration, store: EventStore, logger: Logger) async {
        while !Task.isCancelled {
            let sink: any Sink
            do { sink = try configuration.makeSink() } catch {
                logger.error("sink cannot start", metadata: ["sink": "\(configuration.name)", "error": "\(error)"])
                return
            }
            do {
                try await SinkRunner(store: store, configuration: configuration, sink: sink, logger: logger).run()
            } catch EventStoreError.closed {
                await sink.close()
                return
            } catch {
                logger.error("sink stopped on an error; restarting in 1 s", metadata: ["sink": "\(configuration.name)", "error": "\(error)"])
            }
            await sink.close()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

extension SinkConfiguration {
    /// The sink this configuration describes.
    public func makeSink() throws -> any Sink {
        switch target {
        case .webhook(let url, let headers): WebhookSink(name: name, url: url, headers: headers)
        case .jsonLines(let path, let rotateBytes): JSONLinesSink(path: path, rotateBytes: rotateBytes)
        case .nats(let url, let stream, let subjectPrefix): try NATSSink(url: url, stream: stream, subjectPrefix: subjectPrefix, batchSize: batchSize)
        }
    }
}
