import EventServer
import EventStoreTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOSSL
import Projections
import Testing

/// The server over TLS, end to end, with a certificate the test makes (openssl): a client
/// that trusts it (curl with `--cacert`) reads from it, one that does not is refused.
@Suite("TLS: HTTPS with a certificate made by the test")
struct TLSTests {
    /// Runs `arguments` and answers its exit status and standard output.
    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("curl trusting the test's certificate reads /healthz over HTTPS; without it, it is refused")
    func https() async throws {
        let folder = NSTemporaryDirectory() + "tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try Self.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
        ])
        #expect(made.status == 0, "openssl made the certificate")
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(folder + "/cert.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: folder + "/key.pem", format: .pem)))
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let streams = LogStreamHub()
        let application = try EventServer.makeApplication(
            store: test.store, configuration: configuration, metrics: ServerMetrics(), streams: streams, logger: Logger(label: "tls-test"))
        try await application.test(.ahc(.https)) { client in
            // Hummingbird's own client (it verifies no certificate) speaks TLS to it.
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let port = try #require(client.port)
            let trusted = try Self.run(["curl", "-s", "--max-time", "10", "--cacert", folder + "/cert.pem", "https://localhost:\(port)/healthz"])
            #expect(trusted.status == 0 && trusted.output.contains("\"status\""), "curl --cacert: \(trusted)")
            let untrusted = try Self.run(["curl", "-s", "--max-time", "10", "https://localhost:\(port)/healthz"])
            #expect(untrusted.status == 60, "curl without the certificate: \(untrusted.status) (60: peer certificate cannot be authenticated)")
            let plain = try Self.run(["curl", "-s", "--max-time", "10", "http://localhost:\(port)/healthz"])
            #expect(plain.status != 0 || !plain.output.contains("\"status\""), "plain HTTP is not served")
        }
        streams.close()
        await test.destroy()
    }
}
