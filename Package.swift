// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "evlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "evtool", targets: ["evtool"]),
        .executable(name: "evbench", targets: ["evbench"]),
        .library(name: "EventStore", targets: ["EventStore"]),
        // For Tools/fuzz-targets, a package of its own (built with libFuzzer and AddressSanitizer).
        .library(name: "EventModel", targets: ["EventModel"]),
        .library(name: "JSONSchema", targets: ["JSONSchema"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Access", targets: ["Access"]),
        .library(name: "Zstd", targets: ["Zstd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        // C interop: module maps over Debian's libraries, found with pkg-config.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "Zstd", dependencies: ["CZstd"]),
        // AES-256-GCM over borrowed buffers (OpenSSL's libcrypto): objects' events sealed at rest.
        .target(name: "Sealing", dependencies: ["COpenSSL"]),
        .target(name: "EventModel"),
        .target(name: "JSONSchema", dependencies: ["EventModel"]),
        // The bundled reducers and deciders: EventModel only, so they stay deterministic.
        .target(name: "Projections", dependencies: ["EventModel"], path: "Projections"),
        .target(
            name: "EventStore",
            dependencies: [
                "LMDB", "Zstd", "Sealing", "EventModel",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Who may do what: bearer credentials (JWTs, API keys) to a tenant and scopes.
        .target(
            name: "Access",
            dependencies: [
                "EventModel",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "EventServer",
            dependencies: [
                "EventStore", "EventModel", "JSONSchema", "Projections", "Access",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI document of every route, served at /openapi.json, and the web console's
            // pages, served under /console.
            resources: [.copy("Resources/openapi.json"), .copy("Resources/console")]
        ),
        .target(
            name: "EvTool",
            dependencies: [
                "EventStore", "EventServer", "EventModel", "Projections", "Sinks", "Access",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "evtool", dependencies: ["EvTool"]),
        // Change-data capture sinks: webhooks, JSON Lines files, NATS JetStream.
        .target(
            name: "Sinks",
            dependencies: [
                "EventStore", "EventModel", "CNATS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "evbench",
            dependencies: [
                "EventStore", "EventServer", "EventModel", "Projections", "Sinks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "EventStoreTesting",
            dependencies: ["EventStore", "EventModel", .product(name: "Logging", package: "swift-log")]
        ),

        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "AccessTests", dependencies: ["Access", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd"]),
        .testTarget(name: "SealingTests", dependencies: ["Sealing"]),
        .testTarget(name: "EventModelTests", dependencies: ["EventModel"]),
        // Suite/ holds the official JSON Schema Test Suite's files, read by path.
        .testTarget(name: "JSONSchemaTests", dependencies: ["JSONSchema", "EventModel"], exclude: ["Suite"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "EventModel"]),
        // Engine behaviour, driven through the engine's API with the bundled types.
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "EventStoreTesting", "Projections", "EventModel", "LMDB"]),
        .testTarget(
            name: "EventServerTests",
            dependencies: [
                "EventServer", "EventStoreTesting", "Projections", "Access",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "SinksTests",
            dependencies: [
                "Sinks", "EventStore", "EventStoreTesting", "EventModel", "CNATS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "EvToolTests", dependencies: ["EvTool", "EventStoreTesting"]),
    ]
)
