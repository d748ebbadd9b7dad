import EventModel
import EventStore
import Hummingbird

/// `GET /healthz` (is the store readable, and where is the log) and `GET /metrics`.
struct HealthRoutes<Context: TenantRequestContext> {
    let store: EventStore
    let metrics: ServerMetrics

    func register(on router: some RouterMethods<Context>) {
        router.get("/healthz") { _, _ in try health() }
        router.get("/metrics") { _, _ in metricsPage() }
    }

    private func health() throws -> Response {
        let statistics: StoreStatistics
        do { statistics = try store.statistics() } catch { throw Problem(error) }
        var writer = JSONWriter()
        EventJSON.write(statistics, status: "ok", into: &writer)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    private func metricsPage() -> Response {
        metrics.queueDepth.set(Double(store.queueDepth.requests))
        metrics.committedPosition.set(Double(store.commits.committedPosition))
        var buffer: [UInt8] = []
        metrics.registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
