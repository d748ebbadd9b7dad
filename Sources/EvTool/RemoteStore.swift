import AsyncHTTPClient
import EventModel
import Foundation
import NIOCore
import NIOHTTP1

/// A running evlog server, reached over HTTP (`--url`).
struct RemoteStore {
    let baseURL: String
    private static let responseBytesMax = 256 << 20

    init(baseURL: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
    }

    /// The path segment for an object, percent-encoded.
    static func path(_ object: ObjectKey) -> String {
        "/v1/objects/\(object.type.name)/\(object.id.value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? object.id.value)"
    }

    /// Sends a request and returns the body of a 2xx answer.
    /// - Throws: ``CommandFailure`` with the server's problem detail for any other answer.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            throw CommandFailure("cannot reach \(baseURL): \(error)")
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: Self.responseBytesMax))
        guard (200..<300).contains(Int(response.status.code)) else { throw Self.failure(status: Int(response.status.code), body: bytes) }
        return (Int(response.status.code), bytes)
    }

    /// Follows `GET /v1/log/stream` (or another stream at `path`) and hands each event's JSON
    /// to `body`, for ever.
    func follow(path: String = "/v1/log/stream", after: Position, _ body: ([UInt8]) -> Void) async throws {
        let separator = path.contains("?") ? "&" : "?"
        var request = HTTPClientRequest(url: baseURL + path + "\(separator)after=\(after)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw CommandFailure("cannot reach \(baseURL): \(error)")
        }
        guard response.status == .ok else {
            throw Self.failure(status: Int(response.status.code), body: Array(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            parser.feed(chunk.readableBytesView) { data in body(data) }
        }
    }

    private static func failure(status: Int, body: [UInt8]) -> CommandFailure {
        var detail = String(decoding: body, as: UTF8.self)
        var type = ""
        body.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            try? scanner.readObject { key, value in
                switch key {
                case "detail": detail = try value.readString()
                case "type": type = try value.readString()
                default: _ = try value.skipValue()
                }
            }
        }
        return CommandFailure("the server answered \(status): \(detail)\(type.isEmpty ? "" : " (\(type))")")
    }
}

/// Splits a Server-Sent Events byte stream into the `data:` of each event.
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []

    mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: ([UInt8]) -> Void) {
        for byte in bytes {
            guard byte == UInt8(ascii: "\n") else {
                line.append(byte)
                continue
            }
            if line.isEmpty {
                if !data.isEmpty { emit(data) }
                data.removeAll(keepingCapacity: true)
            } else if line.starts(with: "data: ".utf8) {
                if !data.isEmpty { data.append(UInt8(ascii: "\n")) }
                data.append(contentsOf: line.dropFirst(6))
            }
            line.removeAll(keepingCapacity: true)
        }
    }
}
