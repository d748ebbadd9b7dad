import Foundation

/// A progress bar on standard error: redrawn in place on a terminal, a line at most every
/// few seconds otherwise (logs stay readable).
struct ProgressBar {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastLine = Date.distantPast
    private let width = 30
    /// What is counted: `events`, `objects`.
    let unit: String

    init(unit: String = "events") { self.unit = unit }

    /// Draws `fraction` done, with `events` (of the unit) done at `rate` per second and `secondsLeft`.
    mutating func draw(fraction: Double, events: UInt64, rate: Double, secondsLeft: Double?, final: Bool = false) {
        let now = Date()
        guard final || (fraction < 1 && (isTerminal || now.timeIntervalSince(lastLine) >= 5)) else { return }
        lastLine = now
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var text = "[\(bar)] \(String(format: "%5.1f", fraction * 100))%  \(Self.count(Double(events))) \(unit)  \(Self.count(rate))/s"
        if let secondsLeft, !final { text += "  \(Self.duration(secondsLeft)) left" }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + text + (isTerminal && !final ? "" : "\n")).utf8))
    }

    static func count(_ value: Double) -> String {
        switch value {
        case 1e9...: String(format: "%.2fG", value / 1e9)
        case 1e6...: String(format: "%.2fM", value / 1e6)
        case 1e3...: String(format: "%.1fk", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600 ? "\(total / 3600)h\(total % 3600 / 60)m" : total >= 60 ? "\(total / 60)m\(total % 60)s" : "\(total)s"
    }
}
