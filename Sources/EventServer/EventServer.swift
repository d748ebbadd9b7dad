import Access
import EventStore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import NIOCore
import NIOPosix
import Logging
import ServiceLifecycle

/// The HTTP face of a store: routes, error format, metrics and graceful shutdown.
public enum EventServer {
    /// The router with every route and the problem+json error format, for a running server or
    /// for tests (`app.test(.router)`).
    public static func makeRouter(
        store: EventStore, configuration: ServerConfiguration, metrics: ServerMetrics, streams: LogStreamHub,
        rebuilds: RebuildRunner? = nil
    ) -> Router<ServerRequestContext> {
        routeTable(store: store, configuration: configuration, metrics: metrics, streams: streams, rebuilds: rebuilds).router
    }

    /// Every HTTP route of the server, as `METHOD /path/{parameter}` (OpenAPI's way of writing
    /// paths), in the order they are added: what the OpenAPI document must describe, no more
    /// and no less (the WebSocket route aside).
    public static func routes(store: EventStore) -> [String] {
        routeTable(store: store, configuration: ServerConfiguration(), metrics: ServerMetrics(), streams: LogStreamHub(), rebuilds: nil).routes.map {
            "\($0.method) \($0.path)"
        }
    }

    private static func routeTable(
        store: EventStore, configuration: ServerConfiguration, metrics: ServerMetrics, streams: LogStreamHub, rebuilds: RebuildRunner?
    ) -> RouteTable<ServerRequestContext> {
        let table = RouteTable(Router(context: ServerRequestContext.self))
        table.add(middleware: ProblemMiddleware(routes: table))
        table.add(middleware: ShutdownMiddleware(streams: streams))
        table.add(middleware: AccessMiddleware(configuration: configuration))
        table.objectCheck = ErasureCheck.check(store)
        EventRoutes(store: store, configuration: configuration).register(on: table)
        ObjectRoutes(store: store, configuration: configuration).register(on: table)
        ObjectListingRoutes(store: store, configuration: configuration).register(on: table)
        TypeRoutes(store: store, configuration: configuration).register(on: table)
        ObjectStreamRoutes(store: store, configuration: configuration, streams: streams).register(on: table)
        BranchRoutes(store: store, configuration: configuration).register(on: table)
        ArchiveRoutes(store: store).register(on: table)
        ErasureRoutes(store: store).register(on: table)
        JobRoutes(store: store, runner: rebuilds ?? RebuildRunner(store: store, logger: Logger(label: "evlog.rebuild"))).register(on: table)
        LogRoutes(store: store, configuration: configuration, streams: streams, metrics: metrics).register(on: table)
        ConsumerRoutes(store: store, configuration: configuration, streams: streams).register(on: table)
        ParkedRoutes(store: store).register(on: table)
        ReactionRoutes(store: store).register(on: table)
        BackupRoutes(store: store, configuration: configuration).register(on: table)
        VerifyRoutes(store: store, runs: VerifyRuns()).register(on: table)
        HealthRoutes(store: store, metrics: metrics).register(on: table)
        ContractRoutes().register(on: table)
        ConsoleRoutes(assets: .load()).register(on: table)
        return table
    }

    /// The WebSocket routes: `/v1/objects/{type}/{id}/ws` for object types with views
    /// (see ``ObjectSocket``), for a principal with the `read` scope (commands over it need
    /// `command`); anything else (an erased object too) is not upgraded and falls through to the
    /// HTTP router, which says why.
    public static func makeWebSocketRouter(
        store: EventStore, streams: LogStreamHub, configuration: ServerConfiguration, metrics: ServerMetrics
    ) -> Router<SocketRequestContext> {
        let router = Router(context: SocketRequestContext.self)
        let fanout = SocketFanout(hub: streams, metrics: metrics)
        router.ws("/v1/objects/:type/:id/ws") { request, context in
            guard let principal = await principal(request, configuration), (try? RouteAccess.scope(.read).check(principal)) != nil,
                let stream = try? RequestParsing.stream(request, context, tenant: principal.tenant),
                store.objectTypes[stream.object.type.name] != nil,
                let definition = store.objectTypes[stream.object.type.name],
                ObjectSocket.subscribed(request.uri.queryParameters.get("views").map { Substring($0) }, of: definition) != nil,
                stream.branch == .main || (try? store.branches(of: stream.object).contains { $0.name == stream.branch }) == true,
                // An erased object's request goes on to the HTTP route, which answers 410.
                (try? store.erasure(of: stream.object)) == .some(nil)
            else { return .dontUpgrade }
            // A browser cannot set `Authorization` on a WebSocket: it offers the credential as
            // a subprotocol beside `evlog`, and the handshake must name one it offered.
            return .upgrade(SocketCredential.offersProtocol(request.headers) ? [.secWebSocketProtocol: SocketCredential.subprotocol] : [:])
        } onUpgrade: { inbound, outbound, context in
            guard let principal = await principal(context.request, configuration) else { return }
            let stream = try RequestParsing.stream(context.request, context.requestContext, tenant: principal.tenant)
            guard let definition = store.objectTypes[stream.object.type.name],
                let subscribed = ObjectSocket.subscribed(context.request.uri.queryParameters.get("views").map { Substring($0) }, of: definition)
            else { return }
            try await ObjectSocket(
                store: store, stream: stream, definition: definition, subscribed: subscribed, streams: streams, principal: principal,
                quotas: configuration.quotas, channel: context.requestContext.channel, fanout: fanout, metrics: metrics, logger: context.logger,
                writeTimeout: .seconds(configuration.stalledWriteSeconds)
            ).run(inbound: inbound, outbound: outbound)
        }
        return router
    }

    /// Who a WebSocket upgrade request comes from (nil: its credential is missing or not taken).
    /// Without an access configuration (on loopback), a page of another site (its `Origin`),
    /// or a request addressed to another host (DNS rebinding), is no one: browsers let any page
    /// open a WebSocket to 127.0.0.1.
    private static func principal(_ request: Request, _ configuration: ServerConfiguration) async -> Principal? {
        guard let access = configuration.access else {
            guard ServerConfiguration.isLoopback(configuration.host) else { return .local }
            if let authority = request.head.authority, !ServerConfiguration.isLoopback(authority: authority) { return nil }
            // Every origin named (RFC 6454 allows a list) must be a loopback page's; `null` (a
            // sandboxed or local file's page) is not.
            for header in request.headers[values: .origin] {
                for origin in header.split(whereSeparator: { $0 == " " || $0 == "," }) {
                    guard let host = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first,
                        ServerConfiguration.isLoopback(authority: String(host))
                    else { return nil }
                }
            }
            return .local
        }
        let credential = request.headers[.authorization].flatMap(BearerCredential.parse) ?? SocketCredential.credential(request.headers)
        guard let credential else { return nil }
        return try? await access.principal(for: credential)
    }

    /// An application serving `store`, with an idle timeout on connections. `streams` must be
    /// shut down before the application, or open log streams keep it from stopping. Its
    /// connections run on `eventLoopGroup` (the process's shared one unless given).
    public static func makeApplication(
        store: EventStore, configuration: ServerConfiguration, metrics: ServerMetrics, streams: LogStreamHub, logger: Logger,
        rebuilds: RebuildRunner? = nil, connections: ConnectionRegistry = ConnectionRegistry(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = makeRouter(store: store, configuration: configuration, metrics: metrics, streams: streams, rebuilds: rebuilds)
        let sockets = makeWebSocketRouter(store: store, streams: streams, configuration: configuration, metrics: metrics).buildResponder()
        let idleTimeout = TimeAmount.seconds(configuration.idleTimeoutSeconds)
        var server = HTTPServerBuilder { responder in
            FirstRequestDeadline(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: sockets,
                    configuration: .init(http1: .init(idleTimeout: idleTimeout), ws: ObjectSocket.configuration)),
                timeout: idleTimeout, headTimeout: .seconds(configuration.requestHeadSeconds),
                bodyTimeout: .seconds(configuration.requestBodySeconds), connections: connections)
        }
        if let tls = configuration.tls { server = try .tls(server, tlsConfiguration: tls) }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "evlog"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }

    /// Serves `store` until SIGTERM or SIGINT; then stops accepting, lets running requests and
    /// queued batches finish, and closes the store. A shutdown that takes longer than
    /// ``ServerConfiguration/shutdownSeconds`` (a client that does not read its stream's end,
    /// say) is escalated: every task is cancelled and every connection closed; the store still
    /// commits what it has queued before it closes.
    /// `services` (sinks, say) run beside the server and stop before the store closes.
    public static func run(
        store: EventStore, configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger, services: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let streams = LogStreamHub()
        let rebuilds = RebuildRunner(store: store, logger: logger)
        let connections = ConnectionRegistry()
        let application = try makeApplication(
            store: store, configuration: configuration, metrics: metrics, streams: streams, logger: logger, rebuilds: rebuilds,
            connections: connections, onServerRunning: onServerRunning)
        // Shut down in reverse order: the deadline starts, log streams end, then the server finishes its requests,
        // then rebuilds stop between chunks, then timers stop firing and retention stops, then the store commits what
        // is queued and closes.
        var group = ServiceGroupConfiguration(
            services: [
                .init(service: StoreService(store: store)), .init(service: TimerService(store: store, logger: logger)),
                .init(service: RetentionService(store: store, intervalSeconds: configuration.retentionIntervalSeconds, logger: logger)),
                .init(service: rebuilds), .init(service: LogViewService(store: store, metrics: metrics, logger: logger)),
                .init(service: ReactionService(store: store, metrics: metrics, logger: logger)),
            ] + services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
                .init(service: application), .init(service: streams),
                .init(service: ShutdownDeadline(connections: connections, seconds: configuration.shutdownSeconds, logger: logger)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // The fallback if a service itself outstays the bound: its task is cancelled.
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownSeconds + 1)
        try await ServiceGroup(configuration: group).run()
    }
}

/// Closes the store when the service group shuts down. Listed before the application, it is
/// shut down after it: every request has been answered by then.
struct StoreService: Service {
    let store: EventStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}
