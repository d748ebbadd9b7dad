import AsyncHTTPClient
import EventModel
import EventServer
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A running evlog server, reached over HTTP or HTTPS (`--url`), with a bearer credential when
/// given one (`--token`, `EVLOG_TOKEN`).
struct RemoteStore {
    let baseURL: String
    private let credential: String?
    private let http: HTTPClient
    private static let responseBytesMax = 256 << 20

    init(baseURL: String, client: ClientOptions) throws {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        credential = client.credential
        http = try client.caCert.map(Self.client(trusting:)) ?? HTTPClient.shared
        if credential != nil, url.hasPrefix("http://"), let host = URL(string: url)?.host, !ServerConfiguration.isLoopback(host) {
            FileHandle.standardError.write(Data("warning: the credential goes to \(host) in the clear (http://): use https://\n".utf8))
        }
    }

    /// A client that trusts the certificate authority in the PEM file at `path` (one per file,
    /// kept for the process's life).
    private static func client(trusting path: String) throws -> HTTPClient {
        try clients.withLock { clients in
            if let client = clients[path] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path)) } catch {
                throw CommandFailure("--ca-cert \(path): \(error)")
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            clients[path] = client
            return client
        }
    }

    private static let clients = Mutex<[String: HTTPClient]>([:])

    /// A request to `path` with the credential.
    private func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        if let credential { request.headers.add(name: "Authorization", value: "Bearer \(credential)") }
        return request
    }

    /// The path segment for an object, percent-encoded.
    static func path(_ object: ObjectKey) -> String {
        "/v1/objects/\(object.type.name)/\(object.id.value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? object.id.value)"
    }

    /// Sends a request and returns the body of a 2xx answer.
    /// - Throws: ``CommandFailure`` with the server's problem detail for any other answer.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: Int, body: [UInt8]) {
        var request = request(path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(60))
        } catch {
            throw Self.unreachable(baseURL, error)
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: Self.responseBytesMax))
        guard (200..<300).contains(Int(response.status.code)) else { throw Self.failure(status: Int(response.status.code), body: bytes) }
        return (Int(response.status.code), bytes)
    }

    /// Streams the body of `GET path` to `body` a chunk at a time (flat memory, no time limit
    /// while bytes keep coming).
    /// - Throws: ``CommandFailure`` with the server's problem detail for an answer other than 200.
    func download(_ path: String, _ body: (ByteBuffer) throws -> Void) async throws {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request(path), timeout: .hours(24))
        } catch {
            throw Self.unreachable(baseURL, error)
        }
        guard response.status == .ok else {
            throw Self.failure(status: Int(response.status.code), body: Array(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        for try await chunk in response.body { try body(chunk) }
    }

    /// Sends `chunks` as the body of `method path` (of `contentType`, without a length) and
    /// returns the body of a 2xx answer.
    /// - Throws: ``CommandFailure`` with the server's problem detail for any other answer.
    func upload(
        _ method: HTTPMethod, _ path: String, contentType: String, chunks: AsyncThrowingStream<ByteBuffer, any Error>
    ) async throws -> [UInt8] {
        var request = request(path)
        request.method = method
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .stream(chunks, length: .unknown)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(24))
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw Self.unreachable(baseURL, error)
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: Self.responseBytesMax))
        guard (200..<300).contains(Int(response.status.code)) else { throw Self.failure(status: Int(response.status.code), body: bytes) }
        return bytes
    }

    /// Follows `GET /v1/log/stream` (or another stream at `path`) and hands each event's JSON
    /// to `body`, for ever.
    func follow(path: String = "/v1/log/stream", after: Position, _ body: ([UInt8]) -> Void) async throws {
        let separator = path.contains("?") ? "&" : "?"
        var request = request(path + "\(separator)after=\(after)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .hours(24 * 365))
        } catch {
            throw Self.unreachable(baseURL, error)
        }
        guard response.status == .ok else {
            throw Self.failure(status: Int(response.status.code), body: Array(buffer: try await response.body.collect(upTo: 1 << 20)))
        }
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            parser.feed(chunk.readableBytesView) { data in body(data) }
        }
    }

    /// The server could not be reached: why, and what to try when its certificate is not trusted.
    private static func unreachable(_ url: String, _ error: any Error) -> CommandFailure {
        let text = "\(error)"
        let hint = text.contains("CERTIFICATE_VERIFY_FAILED") ? " (a server whose certificate a private authority signed: pass --ca-cert FILE)" : ""
        return CommandFailure("cannot reach \(url): \(text)\(hint)")
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
