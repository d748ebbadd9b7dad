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
        /// Its CloudEvents.
        let events: [JSONValue]

        /// The batch as a sink delivers it (the position to acknowledge is irrelevant here).
        var sinkBatch: SinkBatch {
            SinkBatch(
                events: events.map { event in
                    let source = event["source"]?.stringValue ?? ""
                    let objectType = source.split(separator: "/").dropFirst(2).first.map(String.init) ?? ""
                    return SinkBatch.Event(
                        json: Array(event.jsonText.utf8), id: EventID(parsing: event["id"]?.stringValue ?? "") ?? EventID(high: 0, low: 0),
                        objectType: objectType, position: Position(event["position"]?.integerValue ?? 0))
                }, next: firstPosition)
        }
    }

    static func list(_ store: StoreOptions, sink: String?) async throws -> [Batch] {
        if let remote = store.remote {
            let query = sink.map { "?sink=\($0)" } ?? ""
            let body = try await remote.send(.GET, "/v1/sinks/parked\(query)").body
            guard case .array(let list)? = try body.withUnsafeBytes({ try JSONValue(parsing: $0) })["parked"] else { return [] }
            return list.map { item in
                let events: [JSONValue] = if case .array(let events)? = item["events"] { events } else { [] }
                return Batch(
                    sink: item["sink"]?.stringValue ?? "", firstPosition: Position(item["firstPosition"]?.integerValue ?? 0),
                    reason: item["reason"]?.stringValue ?? "", events: events)
            }
        }
        let engine = try store.openStore(holder: "evtool sink", mustExist: true)
        defer { Task { await engine.close() } }
        let batches: [ParkedBatch]
        do { batches = try engine.parkedBatches(sink: sink) } catch { throw CommandFailure(error.description) }
        await engine.close()
        return batches.map { batch in
            let events: [JSONValue] = if case .array(let events)? = try? batch.body.withUnsafeBytes({ try JSONValue(parsing: $0) }) { events } else { [] }
            return Batch(sink: batch.sink, firstPosition: batch.firstPosition, reason: batch.reason, events: events)
        }
    }

    static func drop(_ store: StoreOptions, sink: String, firstPosition: Position) async throws {
        if let remote = store.remote {
            _ = try await remote.send(.DELETE, "/v1/sinks/\(sink)/parked/\(firstPosition)")
            return
        }
        let engine = try store.openStore(holder: "evtool sink", mustExist: true)
        do { try await engine.unpark(sink: sink, firstPosition: firstPosition) } catch {
            await engine.close()
            throw CommandFailure(error.description)
        }
        await engine.close()
    }
}
