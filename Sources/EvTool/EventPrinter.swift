import EventModel
import Foundation

/// Prints events given as JSON: as they are (one per line), or as table rows.
struct EventPrinter {
    let format: OutputFormat
    /// The object shown in the table for events that do not name theirs (one object's read).
    var object: String?
    private var output: [UInt8] = []
    private var printedHeader = false

    init(format: OutputFormat, object: String? = nil) {
        self.format = format
        self.object = object
    }

    /// Prints one event's JSON.
    mutating func print(event json: UnsafeRawBufferPointer) {
        switch format {
        case .json:
            output.append(contentsOf: json)
            output.append(UInt8(ascii: "\n"))
        case .table:
            if !printedHeader {
                printedHeader = true
                row(["POSITION", "SEQ", "OBJECT", "TYPE", "TIME", "DATA"])
            }
            var columns = Self.columns(json)
            if columns[2].isEmpty, let object { columns[2] = object }
            row(columns)
        }
        if output.count > 1 << 16 { flush() }
    }

    /// Prints a JSON document (an append's answer, statistics) as it is, or as key: value lines.
    mutating func print(document json: [UInt8]) {
        switch format {
        case .json:
            output.append(contentsOf: json)
            output.append(UInt8(ascii: "\n"))
        case .table:
            json.withUnsafeBytes { bytes in
                var scanner = JSONScanner(bytes)
                try? scanner.readObject { key, value in
                    let range = try value.skipValue()
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                    output.append(contentsOf: "\(key.padding(toLength: 16, withPad: " ", startingAt: 0)) \(text)\n".utf8)
                }
            }
        }
    }

    /// Prints bytes as they are (a line its caller formatted).
    mutating func print(raw bytes: [UInt8]) {
        output.append(contentsOf: bytes)
        if output.count > 1 << 16 { flush() }
    }

    /// Writes what is buffered to standard output.
    mutating func flush() {
        output.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        output.removeAll(keepingCapacity: true)
    }

    private mutating func row(_ cells: [String]) {
        let widths = [9, 6, 28, 20, 24]
        var line = ""
        for (index, cell) in cells.enumerated() {
            if index < widths.count {
                line += cell.padding(toLength: max(widths[index], cell.count), withPad: " ", startingAt: 0) + " "
            } else {
                line += cell.count > 80 ? String(cell.prefix(77)) + "..." : cell
            }
        }
        output.append(contentsOf: line.utf8)
        output.append(UInt8(ascii: "\n"))
    }

    private static func columns(_ json: UnsafeRawBufferPointer) -> [String] {
        var fields: [String: String] = [:]
        var scanner = JSONScanner(json)
        try? scanner.readObject { key, value in
            let range = try value.skipValue()
            var text = String(decoding: UnsafeRawBufferPointer(rebasing: json[range]), as: UTF8.self)
            if text.hasPrefix("\"") && key != "data" { text = String(text.dropFirst().dropLast()) }
            fields[key] = text
        }
        var time = fields["time"] ?? ""
        if let milliseconds = Double(time) {
            time = Self.timeFormatter.string(from: Date(timeIntervalSince1970: milliseconds / 1000))
        }
        var object = fields["object"] ?? ""
        if let branch = fields["branch"], branch != "main" { object += "@" + branch }
        return [fields["position"] ?? "", fields["seq"] ?? "", object, fields["type"] ?? "", time, fields["data"] ?? ""]
    }

    nonisolated(unsafe) private static let timeFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}

/// Hands each element of the `events` array of a page to `body`; returns the page's other
/// top-level members as raw JSON text (e.g. `next`).
func forEachEvent(inPage page: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) throws -> [String: String] {
    var members: [String: String] = [:]
    try page.withUnsafeBytes { bytes in
        var scanner = JSONScanner(bytes)
        try scanner.readObject { key, value in
            if key == "events" {
                try value.readArray { element in
                    let range = try element.skipValue()
                    body(UnsafeRawBufferPointer(rebasing: bytes[range]))
                }
            } else {
                let range = try value.skipValue()
                members[key] = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
        }
    }
    return members
}
