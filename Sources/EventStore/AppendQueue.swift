import Foundation

/// A command waiting for the writer (its reply inside), with what the queue bounds.
struct PendingWrite {
    let command: WriterCommand
    let bytes: Int
    let enqueuedNanoseconds: UInt64
    /// The work it brings, in bytes of events or command body (see ``WriterCommand/weight``):
    /// past the queue's `heavyBytes` it waits in the heavy lane.
    var weight = 0
}

/// The bounded queue between request tasks and the writer thread.
///
/// One lock round trip per request on each side, never per event. When it holds
/// `requestsMax` requests or `bytesMax` bytes it refuses more, so memory stays bounded
/// whatever the load.
///
/// Two lanes: requests that bring little work (most appends and commands) and heavy ones (a
/// 500-reading command, a bulk append, a checkpoint's chunk of rows, a merge). A batch takes the
/// oldest heavy request, then the light lane, then heavy ones: heavy requests move on one per
/// transaction at least, and however many of them are queued, an append waits behind one of
/// them, not all. Each lane is first in, first out; requests in flight at once on one object
/// have no order between them to keep.
final class AppendQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var light: [PendingWrite] = []
    private var heavy: [PendingWrite] = []
    private var bytes = 0
    private var isClosed = false
    private var refusesClients = false
    private let requestsMax: Int
    private let bytesMax: Int
    private let heavyBytes: Int

    init(requestsMax: Int, bytesMax: Int, heavyBytes: Int = .max) {
        self.requestsMax = requestsMax
        self.bytesMax = bytesMax
        self.heavyBytes = heavyBytes
    }

    private var count: Int { light.count + heavy.count }

    /// Queues `item`; returns the reason it was refused, or nil. The engine's own commands
    /// (``WriterCommand/isInternal``) are taken even when the queue is full or refuses clients.
    func enqueue(_ item: PendingWrite) -> EventStoreError? {
        condition.lock()
        defer { condition.unlock() }
        let isInternal = item.command.isInternal
        if isClosed || (refusesClients && !isInternal) { return .closed }
        // A single request larger than the byte bound still goes through an empty queue.
        if !isInternal, count >= requestsMax || (count > 0 && bytes + item.bytes > bytesMax) { return .queueFull }
        if item.weight > heavyBytes { heavy.append(item) } else { light.append(item) }
        bytes += item.bytes
        if count == 1 { condition.signal() }
        return nil
    }

    /// Waits for requests (at most `waitNanoseconds`: then the batch is empty) and takes as
    /// many as fit in one batch: the oldest heavy one, the light ones, the other heavy ones; nil
    /// once the queue is closed and empty.
    func takeBatch(requestsMax batchRequests: Int, bytesMax batchBytes: Int, eventsMax batchEvents: Int = .max, waitNanoseconds: UInt64 = .max) -> [PendingWrite]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(waitNanoseconds) / 1e9)
        while count == 0 {
            if isClosed { return nil }
            if !condition.wait(until: deadline) {
                if count > 0 { break }
                return isClosed ? nil : []
            }
        }
        var batch: [PendingWrite] = []
        var taken = 0
        var events = 0
        if let oldest = heavy.first {
            batch.append(oldest)
            taken = oldest.bytes
            events = oldest.command.eventCount
            heavy.removeFirst()
        }
        for lane in [0, 1] {
            var index = 0
            let items = lane == 0 ? light : heavy
            while index < items.count, batch.count < batchRequests,
                batch.isEmpty || (taken + items[index].bytes <= batchBytes && events + items[index].command.eventCount <= batchEvents)
            {
                taken += items[index].bytes
                events += items[index].command.eventCount
                batch.append(items[index])
                index += 1
            }
            if lane == 0 { light.removeFirst(index) } else { heavy.removeFirst(index) }
        }
        bytes -= taken
        return batch
    }

    /// Puts back, at the head of their lanes, requests taken but not applied (their batch was
    /// full), so they keep their turn.
    func putBack(_ pending: [PendingWrite]) {
        condition.lock()
        let lighter = pending.filter { $0.weight <= heavyBytes }
        light.insert(contentsOf: lighter, at: 0)
        heavy.insert(contentsOf: pending.filter { $0.weight > heavyBytes }, at: 0)
        bytes += pending.reduce(0) { $0 + $1.bytes }
        condition.unlock()
    }

    /// Refuses requests from clients; the engine's own commands are still taken.
    func refuseClients() {
        condition.lock()
        refusesClients = true
        condition.unlock()
    }

    /// Requests and bytes waiting now.
    var depth: (requests: Int, bytes: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (count, bytes)
    }

    /// Refuses new requests; the writer still drains what is queued.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }
}
