import NIOCore
import Synchronization

/// The server's open connections, so a shutdown can close those its clients still hold open
/// when its time is up (a half-sent request head, a stream reader that stopped reading): the
/// HTTP server waits for each connection to end, and a client can keep one from ending.
public final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// An empty registry.
    public init() {}

    /// How many connections are open.
    public var count: Int { channels.withLock { $0.count } }

    /// Keeps `channel` until it closes.
    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    /// Closes every open connection; answers how many there were.
    @discardableResult
    func closeAll() -> Int {
        let open = channels.withLock { Array($0.values) }
        for channel in open { channel.close(promise: nil) }
        return open.count
    }
}
