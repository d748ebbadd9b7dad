import Foundation
import NIOCore

/// Closes a connection whose request arrives too slowly: a head not complete within
/// `headTimeout` of its first byte, or a body (of a declared `Content-Length`) not complete
/// within `bodyTimeout` plus a second per 64 KiB of it. A client trickling a byte at a time
/// would otherwise hold a connection (and a slot of the server) for as long as it likes: the
/// idle timeout only ends a silent one.
///
/// It sits in front of the HTTP decoder and reads the bytes as they come: it finds each head's
/// end (an empty line) and its `Content-Length`, then counts the body. A connection upgraded to
/// a WebSocket, or sending a chunked body, is left to the idle timeout from then on (frames and
/// chunks are not counted).
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        /// Between requests: blank lines may come before a head.
        case idle
        /// In a head: its bytes so far (to find its length and whether it upgrades).
        case head(ByteBuffer)
        /// In a body: how many bytes are still to come.
        case body(Int)
        /// No longer watched (upgraded, or a chunked body).
        case unwatched
    }

    /// The most head bytes kept to read its fields (the decoder refuses larger heads).
    static let headBytesMax = 64 * 1024

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var phase = Phase.idle
    /// The last four bytes of the head so far, to find the empty line that ends it.
    private var trailing: UInt32 = 0
    private var deadline: Scheduled<Void>?

    init(headTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        advance(over: bytes.readableBytesView, context: context)
        context.fireChannelRead(data)
    }

    private func advance(over bytes: ByteBufferView, context: ChannelHandlerContext) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            switch phase {
            case .unwatched:
                return
            case .idle:
                let byte = bytes[index]
                index += 1
                guard byte != UInt8(ascii: "\r"), byte != UInt8(ascii: "\n") else { continue }
                var head = ByteBuffer()
                head.writeInteger(byte)
                trailing = UInt32(byte)
                phase = .head(head)
                arm(headTimeout, context: context)
            case .head(var head):
                // Up to the empty line that ends the head, or the end of these bytes.
                var end: Int?
                let start = index
                while index < bytes.endIndex {
                    let byte = bytes[index]
                    index += 1
                    trailing = trailing << 8 | UInt32(byte)
                    // "\n\n" or "\r\n\r\n": an empty line.
                    if byte == UInt8(ascii: "\n"), trailing & 0xFFFF == 0x0A0A || trailing == 0x0D0A_0D0A {
                        end = index
                        break
                    }
                }
                if head.readableBytes < Self.headBytesMax { head.writeBytes(bytes[start..<index]) }
                guard end != nil else {
                    phase = .head(head)
                    continue
                }
                disarm()
                let fields = Self.fields(of: head)
                if fields.upgrades || fields.chunked {
                    phase = .unwatched
                } else if fields.length > 0 {
                    phase = .body(fields.length)
                    arm(bodyTimeout + .seconds(Int64(fields.length / 65_536)), context: context)
                } else {
                    phase = .idle
                }
            case .body(let left):
                let taken = min(left, bytes.endIndex - index)
                index += taken
                if taken == left {
                    disarm()
                    phase = .idle
                } else {
                    phase = .body(left - taken)
                }
            }
        }
    }

    /// The head's `Content-Length` (0 when none), whether its body is chunked and whether it
    /// asks for an upgrade (field names in any case).
    private static func fields(of head: ByteBuffer) -> (length: Int, chunked: Bool, upgrades: Bool) {
        var length = 0
        var chunked = false
        var upgrades = false
        // Lines split on line feeds, as bytes (a String would hold "\r\n" as one character).
        for line in head.readableBytesView.split(separator: UInt8(ascii: "\n")).dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            switch name {
            case "content-length": length = Int(value) ?? 0
            case "transfer-encoding": chunked = value.contains("chunked")
            case "upgrade": upgrades = true
            default: continue
            }
        }
        return (max(0, length), chunked, upgrades)
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
