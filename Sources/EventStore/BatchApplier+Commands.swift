import EventModel

extension BatchApplier {
    /// Writes every view state the batch folded (and the snapshots due); called once, before
    /// the commit.
    func storeViews(snapshotIntervalEvents: UInt64) throws {
        try views.store(layout: layout, transaction: transaction, snapshotIntervalEvents: max(1, snapshotIntervalEvents))
    }

    /// The events of `request` as reducers see them, from `firstSeq` on.
    func recordedEvents(_ request: AppendRequest, firstSeq: Seq) throws -> [RecordedEvent] {
        try request.events.slots.indices.map { index in
            let slot = request.events.slots[index]
            let type = request.events.withEvent(index) { type, _ in String(decoding: type, as: UTF8.self) }
            let data = index < request.dataValues.count ? request.dataValues[index] : try request.events.parsedData(index)
            return RecordedEvent(
                seq: firstSeq + UInt64(index), id: slot.id!, type: type, data: data,
                timeMilliseconds: request.eventTimes.isEmpty ? timeMilliseconds : request.eventTimes[index])
        }
    }

    /// The request that appends to `stream` what a decider decided, with generated ids.
    mutating func decidedRequest(for stream: StreamName, _ decided: [NewEvent]) throws -> AppendRequest {
        var batch = EventBatch()
        var writer = JSONWriter(capacity: 256)
        for event in decided {
            writer.bytes.removeAll(keepingCapacity: true)
            writer.value(event.data)
            var type = event.type
            try type.withUTF8 { type in
                try writer.bytes.withUnsafeBytes { data in
                    try batch.add(id: nil, type: UnsafeRawBufferPointer(type), data: data, metadata: UnsafeRawBufferPointer(start: nil, count: 0))
                }
            }
        }
        let milliseconds = timeMilliseconds
        batch.assignMissingIDs { EventID.version7(milliseconds: milliseconds, using: &generator) }
        return AppendRequest(stream: stream, expectedVersion: .any, events: batch, data: decided.map(\.data))
    }
}
