import Hummingbird

/// `GET /console` and `GET /console/{file}`: the web console, plain HTML, CSS and JavaScript
/// served as they are kept (``ConsoleAssets``; no build step). The pages talk to the public API
/// only, with the caller's own credential; the files themselves are open (they hold no data).
struct ConsoleRoutes<Context: TenantRequestContext> {
    let assets: ConsoleAssets

    func register(on router: some RouterMethods<Context>) {
        router.get("/console") { _, _ in try answer("index.html") }
        router.get("/console/:file") { _, context in try answer(context.parameters.get("file") ?? "") }
    }

    private func answer(_ name: String) throws -> Response {
        guard let asset = assets.files[name] else {
            throw Problem(.notFound, type: .notFound, detail: "the console has no file \(name); it starts at /console")
        }
        var headers = ConsoleAssets.securityHeaders
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
