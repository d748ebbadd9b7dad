import Foundation
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document of every route (`Resources/openapi.json`, kept
/// in the repository; a test checks it lists exactly the router's routes and the problem catalog).
struct ContractRoutes<Context: TenantRequestContext> {
    /// The document's bytes, read once from the target's resources.
    static var document: [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else { return Array("{}".utf8) }
        return Array(data)
    }

    func register(on router: some RouterMethods<Context>) {
        let document = ByteBuffer(bytes: Self.document)
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
    }
}
