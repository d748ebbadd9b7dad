import EventModel
import EventStore
import Sinks

/// Parked batches read from a server (`--url`) or a data folder, as sinks can deliver them again.
struct ParkedBatches {
    /// One parked batch.
    struct Batch {
        let sink: String
        let firstPosition: Position
        let reason: String
        /// Its CloudEvents, each as the bytes stored (never parsed and written again, which
        /// would round big numbers).
        let events: [[UInt8]]

        /// The batch as a sink delivers it (the position to acknowledge is irrelevant here).
        var sinkBatch: SinkBatch {
            SinkBatch(
                events: events.map { json in
                    let event = (try? json.withUnsafeBytes { try JSONValue(parsing: $0) }) ?? [:]
                    let source = event["source"]?.stringValue ?? ""
                    let objectType = source.split(separator: "/").dropFirst(2).first.map(String.init) ?? ""
                    return SinkBatch.Event(
                        json: json, id: EventID(parsing: event["id"]?.stringValue ?? "") ?? EventID(high: 0, low: 0),
                        objectType: objectType, position: Position(event["position"]?.integerValue ?? 0))
                }, next: firstPosition)
        }
    }

    /// The elements of a JSON array, each as its own bytes.
    static func elements(_ array: [UInt8]) -> [[UInt8]] {
        var elements: [[UInt8]] = []
        array.withUnsafeBytes { bytes in
            var scanner = JSONScanner(bytes)
            try? scanner.readArray { element in elements.append(Array(bytes[try element.skipValue()])) }
        }
        return elements
    }

    static func list(_ store: StoreOptions, sink: String?) async throws -> [Batch] {
        if let remote = try store.remote {
            let query = sink.map { "?sink=\($0)" } ?? ""
            let body = try await remote.send(.GET, "/v1/sinks/parked\(query)").body
            var batches: [Batch] = []
            try body.withUnsafeBytes { bytes in
                var scanner = JSONScanner(bytes)
                try scanner.readObject { key, value in
                    guard key == "parked" else {
                        _ = try value.skipValue()
                        return
                    }
                    try value.readArray { item in
                        var sink = "", reason = "", first: Position = 0, events: [[UInt8]] = []
                        try item.readObject { member, field in
                            switch member {
                            case "sink": sink = try field.readString()
                            case "reason": reason = try field.readString()
                            case "firstPosition": first = Position(try field.readInteger())
                            case "events": events = elements(Array(bytes[try field.skipValue()]))
                            default: _ = try field.skipValue()
                            }
                        }
                        batches.append(Batch(sink: sink, firstPosition: first, reason: reason, events: events))
                    }
                }
            }
            return batches
        }
        let batches = try await store.withStore(holder: "evtool sink") { try $0.parkedBatches(sink: sink) }
        return batches.map { Batch(sink: $0.sink, firstPosition: $0.firstPosition, reason: $0.reason, events: elements($0.body)) }
    }

    static func drop(_ store: StoreOptions, sink: String, firstPosition: Position) async throws {
        if let remote = try store.remote {
            _ = try await remote.send(.DELETE, "/v1/sinks/\(sink)/parked/\(firstPosition)")
            return
        }
        try await store.withStore(holder: "evtool sink") { try await $0.unpark(sink: sink, firstPosition: firstPosition) }
    }
}
