import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The context of a WebSocket upgrade request: Hummingbird's, and the connection's channel, so
/// a socket whose peer stopped reading can be closed for real (a close frame cannot reach a
/// peer that does not read).
public struct SocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
