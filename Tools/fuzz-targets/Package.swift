// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every parser that reads bytes from outside. A package of its own so
// that the main build never links them (they have no main: libFuzzer's is theirs). Built and
// run by Tools/fuzz:
//   swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing
let package = Package(
    name: "evfuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "evlog", path: "../..")],
    targets: [
        .executableTarget(
            name: "evfuzz",
            dependencies: [
                .product(name: "EventModel", package: "evlog"),
                .product(name: "EventStore", package: "evlog"),
                .product(name: "JSONSchema", package: "evlog"),
                .product(name: "Projections", package: "evlog"),
                .product(name: "Access", package: "evlog"),
                .product(name: "Zstd", package: "evlog"),
            ]
        )
    ]
)
