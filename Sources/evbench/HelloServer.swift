import ArgumentParser
import Foundation
import Hummingbird

/// The HTTP baseline: a Hummingbird hello-world that decodes the same JSON body and answers,
/// with no storage, under the same load as the engine.
struct HelloServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hello-server",
        abstract: "A hello-world Hummingbird server decoding JSON POSTs (the HTTP baseline).",
        discussion: """
            Examples:
              evbench hello-server --port 8081
            """)

    @Option(help: "The port to listen on (127.0.0.1).") var port = 8081

    struct Body: Decodable {
        struct Event: Decodable {
            let type: String
            let data: [String: Payload]
        }
        enum Payload: Decodable {
            case number(Int), text(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }
        let events: [Event]
    }

    func run() async throws {
        let router = Router()
        router.post("/v1/objects/:type/:id/events") { request, context -> Response in
            let body = try await request.decode(as: Body.self, context: context)
            return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"events\":\(body.events.count)}")))
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await application.runService()
    }
}
