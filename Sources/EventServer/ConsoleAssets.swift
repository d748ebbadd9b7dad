import Foundation
import HTTPTypes
import NIOCore

/// The web console's files (`Resources/console`), read once, with their media types and the
/// headers every one of them is served with.
struct ConsoleAssets: Sendable {
    /// One file: its bytes and media type.
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
    }

    /// The files by name.
    let files: [String: Asset]

    /// The media type of each extension the console's files have; a file of another kind is not
    /// served.
    private static let contentTypes = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
    ]

    /// What every answer carries: scripts, styles, images and connections from this origin only
    /// (so no request of the console leaves the server), never framed, never sniffed.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff", .cacheControl: "no-cache", HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    /// Reads the files from the target's resources.
    static func load() -> ConsoleAssets {
        guard let folder = Bundle.module.url(forResource: "console", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return ConsoleAssets(files: [:]) }
        var files: [String: Asset] = [:]
        for name in names {
            guard let type = contentTypes[(name as NSString).pathExtension],
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            else { continue }
            files[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type)
        }
        return ConsoleAssets(files: files)
    }
}
