import Dispatch
import Logging
import ServiceLifecycle

/// Bounds a graceful shutdown: listed last among the server's services, it is told first, and
/// `seconds` later closes every connection still open (``ConnectionRegistry``), so the server
/// stops within its bound whatever its clients do. It returns at once, so the other services'
/// shutdown goes on meanwhile.
struct ShutdownDeadline: Service {
    let connections: ConnectionRegistry
    let seconds: Int64
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let (connections, logger) = (connections, logger)
        // On a dispatch queue, not a task: a shutdown busy with many clients must not delay it.
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Int(seconds))) {
            let closed = connections.closeAll()
            if closed > 0 { logger.notice("shutdown bound reached: closed the connections still open", metadata: ["connections": "\(closed)"]) }
        }
    }
}
