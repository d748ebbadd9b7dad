import EventModel
import EventStore

/// Events a sink delivers together: consecutive matching events of its consumer, each as a
/// CloudEvent, with what the sinks need to address them.
public struct SinkBatch: Sendable {
    /// One event of the batch.
    public struct Event: Sendable {
        /// The CloudEvent JSON.
        public let json: [UInt8]
        /// The event id (JetStream de-duplicates on it).
        public let id: EventID
        /// The object type (JetStream publishes to a subject per type).
        public let objectType: String
        /// The event's position.
        public let position: Position

        /// An event of a batch.
        public init(json: [UInt8], id: EventID, objectType: String, position: Position) {
            self.json = json
            self.id = id
            self.objectType = objectType
            self.position = position
        }
    }

    /// The events, in position order.
    public let events: [Event]
    /// The position to acknowledge once they are delivered (past events the filter left out).
    public let next: Position

    /// A batch of `events`, acknowledged at `next` once delivered.
    public init(events: [Event], next: Position) {
        self.events = events
        self.next = next
    }

    /// The position of the first event.
    public var firstPosition: Position { events.first?.position ?? next }

    /// The position of the last event.
    public var lastPosition: Position { events.last?.position ?? next }

    /// The events as a JSON array.
    public var body: [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(events.reduce(2) { $0 + $1.json.count + 1 })
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: event.json)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }
}

/// Somewhere a sink sends batches. `deliver` returns once the batch is durably taken (a 2xx, a
/// JetStream ack, a synced file) and throws otherwise; the runner retries or parks.
public protocol Sink: Sendable {
    /// Delivers `batch` whole.
    func deliver(_ batch: SinkBatch) async throws
    /// Releases connections and files.
    func close() async
}
