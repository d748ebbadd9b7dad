import Access
import ArgumentParser
import EventModel
import EventServer
import EventStore
import Foundation
import Logging
import ServiceLifecycle
import Sinks
import Projections

/// `evtool serve`: the HTTP server on a data folder.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a data folder over HTTP.",
        discussion: """
            Opens (or creates) the data folder and serves it until SIGTERM or SIGINT, which stop \
            new connections, let running requests and queued appends finish, and close the store. \
            Every acknowledged append is synced to disk before it is answered. Appends are \
            validated against the schemas in --schemas (422 lists every violation); object types \
            with no schema answer 404 unless --allow-undeclared.

            Examples:
              evtool serve                                   # ./data on http://127.0.0.1:8080
              evtool serve --data /var/lib/evlog --host 0.0.0.0 --port 9443 --auth auth.json --tls-cert cert.pem --tls-key key.pem
              evtool serve --map-size-max-mib 4096           # refuse appends past 4 GiB (507)
              evtool serve --schemas ./Schemas --allow-undeclared
              evtool serve --live-bytes-max 2GiB --checkpoint-rows-max 50000   # big keyed objects
            """)

    @Option(help: ArgumentHelp("The data folder (created if missing).", valueName: "dir"))
    var data = "./data"

    @Option(
        help: ArgumentHelp(
            "The master key that seals objects at rest (base64 of 32 bytes; default: $EVLOG_MASTER_KEY, else DATA/master.key, made for a new store). Keep it apart from the data and its backups: see the README's Erasure.",
            valueName: "file"))
    var masterKeyFile: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one; the log says which).")
    var port = 8080

    @Option(help: "The largest the store may grow to, in MiB; past it appends answer 507 and reads keep working.")
    var mapSizeMaxMib = 1 << 20

    @Option(help: "The largest event (type, data and metadata), in bytes.")
    var eventBytesMax = 1 << 20

    @Option(help: "The largest request body, in bytes.")
    var requestBytesMax = 16 << 20

    @Option(help: "The most events in one append request.")
    var eventsPerRequestMax = 10_000

    @Option(help: "Append requests waiting for the writer before new ones are refused with 503.")
    var queueRequestsMax = 8_192

    @Option(help: "Hours the answer to a request sent with an Idempotency-Key is kept: the same key within them is answered with it and writes nothing.")
    var idempotencyWindowHours = 24

    @Option(
        help: ArgumentHelp(
            "The memory the objects kept live (their views folded, ready for the next command) may hold: bytes, or with KiB, MiB or GiB; past it the least recently used leave, once checkpointed, and wake from their checkpoint when next used. 0 keeps none between batches.",
            valueName: "size"))
    var liveBytesMax = "512MiB"

    @Option(help: "A view is checkpointed (its state and changed rows written as of one seq) after this many events of its object.")
    var snapshotIntervalEvents: UInt64 = 1_000

    @Option(help: "A keyed view is checkpointed once this many of its rows changed since its last checkpoint.")
    var checkpointRowsMax = 10_000

    @Option(help: "A view that changed is checkpointed at the latest this many seconds after its last checkpoint.")
    var checkpointSeconds: Int64 = 30

    @Option(help: "Seconds a silent connection stays open.")
    var idleTimeoutSeconds: Int64 = 60

    @Option(help: "Seconds between heartbeats on an idle log stream.")
    var heartbeatSeconds: Int64 = 15

    @Option(help: "Seconds a write to a stream or WebSocket may take before the connection is closed (its reader stopped reading).")
    var stalledWriteSeconds: Int64 = 10

    @Option(help: "Seconds a request head may take to arrive from its first byte before the connection is closed.")
    var requestHeadSeconds: Int64 = 10

    @Option(help: "Seconds a request body may take to arrive (plus one per 64 KiB) before the connection is closed.")
    var requestBodySeconds: Int64 = 30

    @Option(help: "Seconds a shutdown (SIGTERM, SIGINT) may take before the server cancels what is left and closes every connection (the store still commits what is queued).")
    var shutdownSeconds: Int64 = 10

    @Option(help: ArgumentHelp("The folder of <type>.schema.json files declaring object types and their events (default ./Schemas).", valueName: "dir"))
    var schemas: String?

    @Flag(help: "Accept events of object types no schema declares (stored unvalidated) instead of answering 404.")
    var allowUndeclared = false

    @Option(help: ArgumentHelp("A sinks file: change-data-capture sinks (webhook, jsonl, nats) to run inside the server (see the README).", valueName: "file"))
    var sinks: String?

    @Option(help: ArgumentHelp("An access configuration (JSON: signing keys, a JWKS, API keys; see the README's Security): every request then needs a bearer token or API key, and acts for its tenant within its scopes.", valueName: "file"))
    var auth: String?

    @Option(help: ArgumentHelp("A PEM certificate chain: serve HTTPS (and wss://) with it (with --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("The folder POST /v1/admin/backup (and evtool backup --url) writes backups into, each in a folder of its own.", valueName: "dir"))
    var backupDir: String?

    @Option(
        help: ArgumentHelp(
            "How long a type keeps its raw events, overriding what it declares (a type only a schema declares has none): TYPE=SPEC, SPEC a count of events per branch (100000), a period (90s, 30m, 12h, 7d), both (7d+1000: either keeps an event), or forever. Older events are compacted behind snapshots; reads before that answer 410. Repeatable.",
            valueName: "type=spec"))
    var retention: [String] = []

    @Option(help: "Seconds between two passes of retention.")
    var retentionSeconds = 10

    @Flag(help: "Listen on an address other than loopback without --auth: anyone who reaches it may do anything.")
    var insecureNoAuth = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard mapSizeMaxMib >= 1 else { throw ValidationError("--map-size-max-mib must be at least 1") }
        guard ByteSize.parse(liveBytesMax) != nil else { throw ValidationError("--live-bytes-max takes bytes, or a number with KiB, MiB or GiB (512MiB), got \"\(liveBytesMax)\"") }
        guard snapshotIntervalEvents >= 1 else { throw ValidationError("--snapshot-interval-events must be at least 1") }
        guard checkpointRowsMax >= 1 else { throw ValidationError("--checkpoint-rows-max must be at least 1") }
        guard checkpointSeconds >= 1 else { throw ValidationError("--checkpoint-seconds must be at least 1") }
        guard (1...8_760).contains(idempotencyWindowHours) else { throw ValidationError("--idempotency-window-hours must be 1 to 8760 (a year)") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if auth == nil, !insecureNoAuth, !ServerConfiguration.isLoopback(host) {
            throw ValidationError(
                "without --auth the server lets anyone do anything, so it listens on loopback only: give --auth FILE to listen on \(host), or --insecure-no-auth if something in front of it checks who may")
        }
        _ = try Self.retentionPolicies(retention)
        guard retentionSeconds >= 1 else { throw ValidationError("--retention-seconds must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "evlog")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var storeConfiguration = StoreConfiguration(directory: data)
        storeConfiguration.masterKey = try MasterKeySource.key(data: data, file: masterKeyFile)
        storeConfiguration.mapSizeMaxBytes = mapSizeMaxMib << 20
        storeConfiguration.mapSizeBytes = min(storeConfiguration.mapSizeBytes, storeConfiguration.mapSizeMaxBytes)
        storeConfiguration.limits.eventBytesMax = eventBytesMax
        storeConfiguration.limits.requestBytesMax = requestBytesMax
        storeConfiguration.limits.eventsPerRequestMax = eventsPerRequestMax
        storeConfiguration.queueRequestsMax = queueRequestsMax
        storeConfiguration.idempotencyWindowMilliseconds = Int64(idempotencyWindowHours) * 3_600_000
        storeConfiguration.live.bytesMax = ByteSize.parse(liveBytesMax) ?? storeConfiguration.live.bytesMax
        storeConfiguration.snapshotIntervalEvents = snapshotIntervalEvents
        storeConfiguration.live.checkpointRowsMax = checkpointRowsMax
        storeConfiguration.live.checkpointIntervalMilliseconds = checkpointSeconds * 1_000
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.host = host
        serverConfiguration.port = port
        serverConfiguration.idleTimeoutSeconds = idleTimeoutSeconds
        serverConfiguration.heartbeatSeconds = heartbeatSeconds
        serverConfiguration.stalledWriteSeconds = stalledWriteSeconds
        serverConfiguration.requestHeadSeconds = requestHeadSeconds
        serverConfiguration.requestBodySeconds = requestBodySeconds
        serverConfiguration.shutdownSeconds = shutdownSeconds
        serverConfiguration.backupDirectory = backupDir
        serverConfiguration.retentionIntervalSeconds = retentionSeconds
        var objectTypes = BundledTypes.all
        for (type, policy) in try Self.retentionPolicies(retention) {
            // A type only a schema declares (an audit log) keeps no views: its retention needs no snapshot.
            objectTypes[type, default: ObjectTypeDefinition(name: type, views: [])].retention = policy
        }
        serverConfiguration.schemas = try SchemaOptions.loadCatalog(schemas, allowsUndeclared: allowUndeclared, logger: logger)
        if let auth {
            do throws(AccessError) {
                let access = try AccessConfiguration.load(path: auth)
                serverConfiguration.access = try await TokenVerifier(configuration: access)
                if !access.quotas.isEmpty { serverConfiguration.quotas = TenantQuotas(access.quotas) }
            } catch {
                throw CommandFailure("--auth \(auth): \(error)")
            }
        } else {
            logger.notice("no --auth: every request acts for the tenant 'default' with every scope, so this server must stay on loopback (\(host))")
        }
        if let tlsCert, let tlsKey {
            do { serverConfiguration.tls = try ServerConfiguration.tls(certificateChain: tlsCert, privateKey: tlsKey) } catch {
                throw CommandFailure("--tls-cert \(tlsCert) / --tls-key \(tlsKey): \(error)")
            }
        } else if auth != nil, !ServerConfiguration.isLoopback(host) {
            logger.warning("--auth without --tls-cert on \(host): credentials cross the network in the clear; serve TLS, or put a TLS proxy in front")
        }
        var sinkConfigurations: [SinkConfiguration] = []
        if let sinks {
            do { sinkConfigurations = try SinkConfiguration.load(path: sinks) } catch { throw CommandFailure("--sinks \(sinks): \(error)") }
        }

        let metrics = ServerMetrics()
        let store: EventStore
        do {
            store = try EventStore(
                configuration: storeConfiguration, objectTypes: objectTypes, logViews: BundledTypes.logViews, reactions: BundledTypes.reactions,
                holder: "evtool serve",
                logger: logger, observer: metrics)
        } catch {
            throw CommandFailure(error.description)
        }
        let banner = "evlog serving \(data) on \(tlsCert == nil ? "http" : "https")://\(host):"
        let announcer = logger
        let services: [any Service] = sinkConfigurations.isEmpty ? [] : [SinkService(store: store, sinks: sinkConfigurations, logger: logger)]
        try await EventServer.run(store: store, configuration: serverConfiguration, metrics: metrics, logger: logger, services: services) { port in
            announcer.notice("\(banner)\(port)")
        }
    }

    /// The policies `--retention` gives, by type (nil: forever).
    static func retentionPolicies(_ specs: [String]) throws -> [String: RetentionPolicy?] {
        var policies: [String: RetentionPolicy?] = [:]
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, (try? ObjectType(parts[0])) != nil else {
                throw ValidationError("--retention takes TYPE=SPEC (TYPE an object type, e.g. building=7d), got \"\(spec)\"")
            }
            if parts[1] == "forever" {
                policies[parts[0]] = .some(nil)
            } else if let policy = RetentionPolicy(parsing: parts[1]) {
                policies[parts[0]] = policy
            } else {
                throw ValidationError("--retention \(parts[0])= takes a count (100000), a period (90s, 30m, 12h, 7d), both (7d+1000) or forever, got \"\(parts[1])\"")
            }
        }
        return policies
    }
}
