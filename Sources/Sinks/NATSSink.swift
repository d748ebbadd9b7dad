import CNATS
import EventModel
import EventStore
import Foundation

/// Publishes each event to NATS JetStream on `<subjectPrefix>.<object type>`, with the event id
/// as `Nats-Msg-Id` so the stream drops a message it has seen (a batch delivered again after a
/// crash is not stored twice), and waits for each publish ack before the batch counts as
/// delivered. The stream is created (subjects `<subjectPrefix>.>`) if it does not exist.
///
/// Uses the official NATS C client from Debian through the `CNATS` system-library target. The
/// connection is used from one task at a time (the sink's runner), which the actor guarantees.
public actor NATSSink: Sink {
    let url: String
    let stream: String
    let subjectPrefix: String
    private var connection: OpaquePointer?
    private var context: OpaquePointer?

    /// A sink publishing to the JetStream stream `stream` at `url`; connects on first use.
    public init(url: String, stream: String, subjectPrefix: String) throws {
        self.url = url
        self.stream = stream
        self.subjectPrefix = subjectPrefix
    }

    /// A NATS failure: the call and the client's text for its status.
    public struct NATSError: Error, CustomStringConvertible {
        /// What failed.
        public let description: String

        init(_ call: String, _ status: natsStatus, _ code: jsErrCode = jsErrCode(0)) {
            let text = String(cString: natsStatus_GetText(status))
            description = "\(call): \(text)\(code.rawValue != 0 ? " (JetStream error \(code.rawValue))" : "")"
        }
    }

    public func deliver(_ batch: SinkBatch) async throws {
        let context = try connect()
        for event in batch.events {
            let (status, errorCode) = Self.publish(
                context, subject: "\(subjectPrefix).\(event.objectType)", messageID: event.id.description, data: event.json)
            guard status == NATS_OK else {
                disconnect()
                throw NATSError("publishing position \(event.position) to \(url)", status, errorCode)
            }
        }
    }

    /// Publishes one message and waits for its ack (5 s at most).
    private static func publish(_ context: OpaquePointer, subject: String, messageID: String, data: [UInt8]) -> (natsStatus, jsErrCode) {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = 5_000
        var errorCode = jsErrCode(0)
        var ack: UnsafeMutablePointer<jsPubAck>?
        let status = messageID.withCString { id in
            options.MsgId = id
            return subject.withCString { subject in
                data.withUnsafeBytes { bytes in js_Publish(&ack, context, subject, bytes.baseAddress, Int32(bytes.count), &options, &errorCode) }
            }
        }
        if let ack { jsPubAck_Destroy(ack) }
        return (status, errorCode)
    }

    /// The JetStream context, connecting and creating the stream first if needed.
    private func connect() throws -> OpaquePointer {
        if let context { return context }
        var connection: OpaquePointer?
        var status = natsConnection_ConnectTo(&connection, url)
        guard status == NATS_OK, let connection else { throw NATSError("connecting to \(url)", status) }
        var context: OpaquePointer?
        status = natsConnection_JetStream(&context, connection, nil)
        guard status == NATS_OK, let context else {
            natsConnection_Destroy(connection)
            throw NATSError("opening JetStream on \(url)", status)
        }
        self.connection = connection
        self.context = context
        try ensureStream(context)
        return context
    }

    private func ensureStream(_ context: OpaquePointer) throws {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var errorCode = jsErrCode(0)
        var status = js_GetStreamInfo(&info, context, stream, nil, &errorCode)
        if status == NATS_OK {
            jsStreamInfo_Destroy(info)
            return
        }
        guard status == NATS_NOT_FOUND else {
            disconnect()
            throw NATSError("looking up stream \(stream)", status, errorCode)
        }
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        status = stream.withCString { name in
            "\(subjectPrefix).>".withCString { subject in
                var subjects: [UnsafePointer<CChar>?] = [subject]
                return subjects.withUnsafeMutableBufferPointer { list in
                    config.Name = name
                    config.Subjects = list.baseAddress
                    config.SubjectsLen = 1
                    config.Storage = js_FileStorage
                    return js_AddStream(&info, context, &config, nil, &errorCode)
                }
            }
        }
        if let info { jsStreamInfo_Destroy(info) }
        guard status == NATS_OK else {
            disconnect()
            throw NATSError("creating stream \(stream)", status, errorCode)
        }
    }

    private func disconnect() {
        if let context { jsCtx_Destroy(context) }
        if let connection { natsConnection_Destroy(connection) }
        context = nil
        connection = nil
    }

    public func close() async { disconnect() }
}
