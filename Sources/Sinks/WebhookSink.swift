import AsyncHTTPClient
import EventModel
import EventStore
import Foundation
import NIOCore
import NIOHTTP1

/// POSTs each batch to a URL as `application/cloudevents-batch+json`, with an `Idempotency-Key`
/// of `<sink>-<first position>-<last position>`, so a receiver can drop a batch it saw before
/// (delivery is at least once; a batch read again after a crash may hold more events, and then
/// has another key; receivers that need exactly once dedupe on each CloudEvent's `id`). A 2xx is success; anything else (or no answer in 10 s) is a failed attempt.
public struct WebhookSink: Sink {
    let name: String
    let url: String
    let headers: [String: String]
    let client: HTTPClient

    /// A webhook sink named `name` posting to `url` with extra `headers`.
    public init(name: String, url: String, headers: [String: String] = [:], client: HTTPClient = .shared) {
        self.name = name
        self.url = url
        self.headers = headers
        self.client = client
    }

    /// The failure of one attempt.
    public struct DeliveryError: Error, CustomStringConvertible {
        /// What happened.
        public let description: String
    }

    public func deliver(_ batch: SinkBatch) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/cloudevents-batch+json")
        request.headers.add(name: "Idempotency-Key", value: "\(name)-\(batch.firstPosition)-\(batch.lastPosition)")
        for (key, value) in headers { request.headers.add(name: key, value: value) }
        request.body = .bytes(ByteBuffer(bytes: batch.body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(10))
        } catch {
            throw DeliveryError(description: "\(url) did not answer: \(error)")
        }
        let answer = try? await response.body.collect(upTo: 64 << 10)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw DeliveryError(description: "\(url) answered \(response.status.code): \(answer.map { String(buffer: $0).prefix(200) } ?? "")")
        }
    }

    public func close() async {}
}
