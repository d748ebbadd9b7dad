import HummingbirdCore
import Logging
import NIOCore

/// Closes a connection that sends nothing at all within `timeout` of connecting, one whose
/// request trickles in (``RequestDeadlineHandler``: `headTimeout`, `bodyTimeout`), and any the
/// server is done with.
///
/// Hummingbird's idle timeout is installed only once the first request head has arrived when
/// the server also offers WebSocket upgrades, so a client that connects and stays silent would
/// hold its connection for ever; this child channel closes it first.
struct FirstRequestDeadline<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let timeout: TimeAmount
    let headTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    /// Where the connection is kept while open (a shutdown closes what is left).
    let connections: ConnectionRegistry

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        connections.add(channel)
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FirstBytesDeadlineHandler(timeout: timeout))
            try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(headTimeout: headTimeout, bodyTimeout: bodyTimeout))
        }.flatMap { base.setup(channel: channel, logger: logger) }
            .flatMapThrowing { value in
                // Last, behind the HTTP decoder: the upgrade's pipeline handles none of its errors.
                try channel.pipeline.syncOperations.addHandler(CloseOnErrorHandler())
                return value
            }
    }

    /// Serves the connection, then closes what the base left open: a request head that does
    /// not parse fails the WebSocket upgrade's negotiation, and the base returns without closing
    /// the connection (no idle timeout is installed before a head), so each malformed request
    /// would hold a socket until its client left.
    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
        try? await value.channel.close()
    }
}

/// Closes the channel unless bytes arrive within `timeout`; removes itself on the first read.
final class FirstBytesDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// Ends the connection on an error nothing before it handled: a request head that does not
/// parse (the WebSocket upgrade's pipeline has no HTTP error handler, and the connection would
/// otherwise stay open, with no idle timeout, until its client left). It ends it as if the
/// client had stopped sending (an answer under way may still go out), and closes it two seconds
/// later whatever happened.
final class CloseOnErrorHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    private var isEnding = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(error)
        guard !isEnding else { return }
        isEnding = true
        context.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }
}
