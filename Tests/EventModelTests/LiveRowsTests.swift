import EventModel
import Testing

/// `LiveRows` as the writer drives it: batches committed or discarded, checkpoints frozen (up
/// to three at once, a new one while the ones before are written), stored in order a few
/// batches later (the rows below replaced by the stored ones), cells swept and stored rows
/// dropped, against a dictionary of what every row should read.
@Suite("Live rows: cells over stored rows")
struct LiveRowsTests {
    @Test("every row reads as written, committed rows as committed, through checkpoints, sweeps and drops", arguments: [UInt64(1), 2, 3])
    func walk(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var stored: [String: Int] = [:]
        var committed: [String: Int] = [:]
        let rows = LiveRows<Int>(below: MemoryRows<Int>())
        // Checkpoints under way, oldest first: their changes, and the batches left before each
        // is stored (each after the one before).
        var inFlight: [(changes: [(key: ByteKey, slot: RowSlot<Int>)], batchesLeft: Int)] = []
        var overlapped = 0
        var seq: Seq = 0
        let keys = (0..<300).map { "k\($0)" }
        var peakHeld = 0
        for step in 0..<3_000 {
            var working = committed
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                seq += 1
                let key = keys[Int.random(in: 0..<(step < 1_500 ? keys.count : 40), using: &generator)]
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    rows.setRow(key, nil, seq: seq)
                    working[key] = nil
                case 1:
                    rows.modifyRow(key, seq: seq) { $0 = ($0 ?? 0) + 1 }
                    working[key] = (working[key] ?? 0) + 1
                default:
                    let value = Int.random(in: 0..<1_000, using: &generator)
                    rows.setRow(key, value, seq: seq)
                    working[key] = value
                }
                #expect(rows.row(key) == working[key], "the batch reads its own write of \(key)")
            }
            if Int.random(in: 0..<10, using: &generator) == 0 {
                rows.discardBatch()
            } else {
                rows.commitBatch()
                committed = working
            }
            if !inFlight.isEmpty {
                inFlight[0].batchesLeft -= 1
                if inFlight[0].batchesLeft <= 0 {
                    for change in inFlight.removeFirst().changes { stored[change.key.string] = change.slot.row }
                    rows.frozenStored(below: MemoryRows(stored))
                }
            }
            if inFlight.count < 3, Int.random(in: 0..<(inFlight.isEmpty ? 15 : 4), using: &generator) == 0 {
                if !inFlight.isEmpty { overlapped += 1 }
                inFlight.append((rows.freeze(), Int.random(in: 1...5, using: &generator)))
            } else if inFlight.isEmpty, step % 500 == 499 {
                _ = rows.dropStored()
            }
            #expect(rows.hasFrozen == !inFlight.isEmpty)
            peakHeld = max(peakHeld, rows.heldCount)
            for key in keys {
                guard rows.row(key) == committed[key] else {
                    Issue.record("step \(step): \(key) reads \(String(describing: rows.row(key))), committed \(String(describing: committed[key]))")
                    return
                }
                let slot = rows.committedRow(key)
                #expect(slot == nil || slot?.row == committed[key], "a committed change reads as committed")
            }
        }
        #expect(overlapped > 50, "checkpoints started while others were written (\(overlapped))")
        #expect(peakHeld > 100 && rows.heldCount < 60, "cells of rows no longer changing left memory (held \(rows.heldCount), peak \(peakHeld))")
    }
}
