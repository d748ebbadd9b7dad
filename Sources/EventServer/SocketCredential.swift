import Foundation
import HTTPTypes

/// The credential of a WebSocket opened by a browser, which cannot set `Authorization` on one:
/// the page offers the subprotocols `evlog` and `evlog.bearer.<credential, base64url>`
/// (`new WebSocket(url, ["evlog", "evlog.bearer." + base64url(token)])`), and the server
/// answers the handshake with `evlog` (a browser drops a handshake that names none of the
/// protocols it offered). The credential is then checked like a bearer one.
enum SocketCredential {
    /// The subprotocol the server names in its handshake.
    static let subprotocol = "evlog"
    /// What precedes the encoded credential in the subprotocol that carries it.
    static let prefix = "evlog.bearer."

    /// The offered protocols, in order (the header may be repeated, each a comma-separated list).
    private static func offered(_ headers: HTTPFields) -> [Substring] {
        headers[values: .secWebSocketProtocol].flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces)[...] } }
    }

    /// Whether the request offered `evlog`.
    static func offersProtocol(_ headers: HTTPFields) -> Bool { offered(headers).contains { $0 == subprotocol } }

    /// The credential carried by an `evlog.bearer.` subprotocol, decoded; nil when none is
    /// offered or it is not base64url of UTF-8.
    static func credential(_ headers: HTTPFields) -> String? {
        guard let encoded = offered(headers).first(where: { $0.hasPrefix(prefix) })?.dropFirst(prefix.count), !encoded.isEmpty else { return nil }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8), !text.isEmpty else { return nil }
        return text
    }
}
