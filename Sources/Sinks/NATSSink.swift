import CNATS
import EventModel
import EventStore
import Foundation
import Synchronization

/// Publishes each event to NATS JetStream on `<subjectPrefix>.<object type>`, with the event id
/// as `Nats-Msg-Id` so the stream drops a message it has seen (a batch delivered again after a
/// crash is not stored twice). A batch's messages are published asynchronously, then the sink
/// waits for every publish ack: only a batch whose every message was acknowledged counts as
/// delivered (one failure and the whole batch is sent again; the ids make that safe). The
/// stream is created (subjects `<subjectPrefix>.>`) if it does not exist.
///
/// Uses the official NATS C client from Debian through the `CNATS` system-library target. The
/// connection is used from one task at a time (the sink's runner), which the actor guarantees.
public actor NATSSink: Sink {
    let url: String
    let stream: String
    let subjectPrefix: String
    /// Publishes in flight at most: at least a batch, so a batch never stalls on itself.
    let maxPending: Int
    private var connection: OpaquePointer?
    private var context: OpaquePointer?
    /// Publishes the server refused, counted by the client's error callback.
    private let failures = PublishFailures()

    /// A sink publishing to the JetStream stream `stream` at `url`, batches of at most
    /// `batchSize` events; connects on first use.
    public init(url: String, stream: String, subjectPrefix: String, batchSize: Int = 500) throws {
        self.url = url
        self.stream = stream
        self.subjectPrefix = subjectPrefix
        self.maxPending = max(4_096, batchSize + 1)
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
        failures.reset()
        for event in batch.events {
            let status = Self.publishAsync(context, subject: "\(subjectPrefix).\(event.objectType)", messageID: event.id.description, data: event.json)
            guard status == NATS_OK else {
                disconnect()
                throw NATSError("publishing position \(event.position) to \(url)", status)
            }
        }
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = 10_000
        let status = js_PublishAsyncComplete(context, &options)
        guard status == NATS_OK, failures.count == 0 else {
            disconnect()
            throw status == NATS_OK
                ? NATSError("\(failures.count) of \(batch.events.count) publishes from position \(batch.firstPosition) were refused by \(url)", NATS_ERR)
                : NATSError("waiting for the publish acks of the batch from position \(batch.firstPosition)", status)
        }
    }

    /// Publishes one message without waiting for its ack.
    private static func publishAsync(_ context: OpaquePointer, subject: String, messageID: String, data: [UInt8]) -> natsStatus {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        return messageID.withCString { id in
            options.MsgId = id
            return subject.withCString { subject in
                data.withUnsafeBytes { bytes in js_PublishAsync(context, subject, bytes.baseAddress, Int32(bytes.count), &options) }
            }
        }
    }

    /// The JetStream context, connecting and creating the stream first if needed.
    private func connect() throws -> OpaquePointer {
        if let context { return context }
        var connection: OpaquePointer?
        var status = natsConnection_ConnectTo(&connection, url)
        guard status == NATS_OK, let connection else { throw NATSError("connecting to \(url)", status) }
        var context: OpaquePointer?
        var options = jsOptions()
        jsOptions_Init(&options)
        options.PublishAsync.MaxPending = Int64(maxPending)
        options.PublishAsync.ErrHandler = { _, _, closure in
            guard let closure else { return }
            Unmanaged<PublishFailures>.fromOpaque(closure).takeUnretainedValue().record()
        }
        options.PublishAsync.ErrHandlerClosure = Unmanaged.passUnretained(failures).toOpaque()
        status = natsConnection_JetStream(&context, connection, &options)
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

/// Counts asynchronous publishes the server refused; written by the NATS client's thread.
final class PublishFailures: Sendable {
    private let failures = Atomic<Int>(0)

    func record() { failures.add(1, ordering: .relaxed) }
    func reset() { failures.store(0, ordering: .relaxed) }
    var count: Int { failures.load(ordering: .relaxed) }
}
