import Foundation

/// A program the tests run (openssl, curl) without blocking a thread of the cooperative pool
/// while it runs: a server under test answers on that pool, and waiting on it there could leave
/// the server no thread to answer with. Spawned with `posix_spawnp` and waited for with
/// `waitpid` on a thread of its own: Foundation's `Process` was seen to leave a test waiting
/// for ever for a termination it never reported.
enum ExternalProcess {
    struct SpawnError: Error, CustomStringConvertible {
        let program: String
        let code: Int32
        var description: String { "\(program) could not be started: \(String(cString: strerror(code)))" }
    }

    /// Runs `arguments` (the first found on the PATH) to the end: its exit status (or 128 and
    /// the signal that ended it) and standard output.
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("process-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            let thread = Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
                let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
                defer { for pointer in argv { free(pointer) } }
                var pid: pid_t = 0
                let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
                guard spawned == 0 else {
                    continuation.resume(throwing: SpawnError(program: arguments[0], code: spawned))
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
                let signal = status & 0x7F
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
            }
            thread.start()
        }
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}
