import EventServer
import EventStoreTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Projections
import Testing

/// The server over TLS, end to end, with a certificate the test makes (openssl): a client
/// that trusts it (curl with `--cacert`) reads from it, one that does not is refused.
@Suite("TLS: HTTPS with a certificate made by the test")
struct TLSTests {
    @Test("curl trusting the test's certificate reads /healthz over HTTPS; without it, or with TLS 1.1, it is refused")
    func https() async throws {
        let folder = NSTemporaryDirectory() + "tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let made = try await ExternalProcess.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
        ])
        #expect(made.status == 0, "openssl made the certificate")
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.tls = try ServerConfiguration.tls(certificateChain: folder + "/cert.pem", privateKey: folder + "/key.pem")
        let test = try TestStore.open(objectTypes: BundledTypes.all)
        let streams = LogStreamHub()
        let application = try EventServer.makeApplication(
            store: test.store, configuration: configuration, metrics: ServerMetrics(), streams: streams, logger: Logger(label: "tls-test"))
        try await application.test(.ahc(.https)) { client in
            // Hummingbird's own client (it verifies no certificate) speaks TLS to it.
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let port = try #require(client.port)
            // Generous time limits: under a full test run on 2 cores a handshake has taken over 10 s.
            let trusted = try await ExternalProcess.run(["curl", "-s", "--max-time", "60", "--cacert", folder + "/cert.pem", "--resolve", "localhost:\(port):127.0.0.1", "https://localhost:\(port)/healthz"])
            #expect(trusted.status == 0 && trusted.output.contains("\"status\""), "curl --cacert: \(trusted)")
            let untrusted = try await ExternalProcess.run(["curl", "-s", "--max-time", "60", "--resolve", "localhost:\(port):127.0.0.1", "https://localhost:\(port)/healthz"])
            #expect(untrusted.status == 60, "curl without the certificate: \(untrusted.status) (60: peer certificate cannot be authenticated)")
            let old = try await ExternalProcess.run(["curl", "-s", "--max-time", "10", "--cacert", folder + "/cert.pem", "--tlsv1.0", "--tls-max", "1.1", "--resolve", "localhost:\(port):127.0.0.1", "https://localhost:\(port)/healthz"])
            #expect(old.status != 0, "TLS 1.1 and older are refused")
            let plain = try await ExternalProcess.run(["curl", "-s", "--max-time", "10", "http://127.0.0.1:\(port)/healthz"])
            #expect(plain.status != 0 || !plain.output.contains("\"status\""), "plain HTTP is not served")
        }
        streams.close()
        await test.destroy()
    }
}
