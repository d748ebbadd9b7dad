import Zstd

extension EventBatch {
    /// Replaces each payload longer than `thresholdBytes` by its zstd frame, when that is
    /// smaller. Runs on the caller's task, before the request queues, so the single writer
    /// never spends time compressing.
    mutating func compress(thresholdBytes: Int, using compressor: ZstdCompressor) {
        guard slots.contains(where: { $0.payloadCount > thresholdBytes }) else { return }
        var packed: [UInt8] = []
        packed.reserveCapacity(storage.count)
        var frame = [UInt8](repeating: 0, count: 0)
        for index in slots.indices {
            var slot = slots[index]
            let typeStart = packed.count
            packed.append(contentsOf: storage[slot.typeStart..<(slot.typeStart + slot.typeCount)])
            let payloadStart = packed.count
            let payload = storage[slot.payloadStart..<(slot.payloadStart + slot.payloadCount)]
            var compressedCount = Int.max
            if slot.payloadCount > thresholdBytes {
                let bound = ZstdCompressor.bound(slot.payloadCount)
                if frame.count < bound { frame = [UInt8](repeating: 0, count: bound) }
                compressedCount = (try? payload.withUnsafeBytes { input in
                    try frame.withUnsafeMutableBytes { try compressor.compress(input, into: $0) }
                }) ?? Int.max
            }
            if compressedCount < slot.payloadCount {
                packed.append(contentsOf: frame[..<compressedCount])
                slot.isCompressed = true
            } else {
                packed.append(contentsOf: payload)
            }
            slot.typeStart = typeStart
            slot.payloadStart = payloadStart
            slot.payloadCount = packed.count - payloadStart
            slots[index] = slot
        }
        storage = packed
    }
}
