import EventModel
import Foundation

/// Prints CloudEvents as they are, or as table rows.
struct CloudEventPrinter {
    let table: Bool
    private var header = false

    init(table: Bool) { self.table = table }

    mutating func print(_ json: [UInt8]) {
        guard table, let event = try? json.withUnsafeBytes({ try JSONValue(parsing: $0) }) else {
            FileHandle.standardOutput.write(Data(json + [UInt8(ascii: "\n")]))
            return
        }
        if !header {
            header = true
            row(["POSITION", "SEQ", "OBJECT", "BRANCH", "TYPE", "TIME", "DATA"])
        }
        let object = (event["source"]?.stringValue ?? "").replacingOccurrences(of: "/v1/objects/", with: "")
        row([
            event["position"].map { $0.jsonText } ?? "", event["seq"].map { $0.jsonText } ?? "", object, event["subject"]?.stringValue ?? "",
            event["type"]?.stringValue ?? "", event["time"]?.stringValue ?? "", event["data"]?.jsonText ?? "",
        ])
    }

    private func row(_ columns: [String]) {
        let widths = [9, 6, 28, 10, 20, 25]
        var line = ""
        for (index, column) in columns.enumerated() {
            line += index < widths.count ? column.padding(toLength: max(widths[index], column.count), withPad: " ", startingAt: 0) + " " : column
        }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
