import Foundation

/// The process's memory as Linux counts it (`/proc/self/status`), and its peak while a
/// workload runs.
///
/// `RssAnon` is what the heap and stacks hold: what the live objects' budget bounds. `VmRSS`
/// adds the pages of mapped files, here LMDB's map, which the kernel shares with its page
/// cache and drops under pressure; it grows with the data read, whatever the budget.
final class ResidentMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var peakAnonymousKilobytes = 0
    private var sampler: Task<Void, Never>?

    /// Starts sampling `RssAnon` every 100 ms.
    init() {
        sampler = Task.detached { [weak self] in
            while !Task.isCancelled {
                self?.sample()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    deinit { sampler?.cancel() }

    /// The largest `RssAnon` seen so far (sampled now too), MB.
    var peakAnonymousMegabytes: Int {
        sample()
        return lock.withLock { peakAnonymousKilobytes } / 1024
    }

    private func sample() {
        let now = Self.kilobytes("RssAnon:")
        lock.withLock { peakAnonymousKilobytes = max(peakAnonymousKilobytes, now) }
    }

    /// `VmRSS` now, MB.
    static var residentMegabytes: Int { kilobytes("VmRSS:") / 1024 }

    /// `RssAnon` now, MB.
    static var anonymousMegabytes: Int { kilobytes("RssAnon:") / 1024 }

    private static func kilobytes(_ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes
    }
}
