import Foundation

/// A command waiting for the writer (its reply inside), with what the queue bounds.
struct PendingWrite {
    let command: WriterCommand
    let bytes: Int
    let enqueuedNanoseconds: UInt64
}

/// The bounded queue between request tasks and the writer thread.
///
/// One lock round trip per request on each side, never per event. When it holds
/// `requestsMax` requests or `bytesMax` bytes it refuses more, so memory stays bounded
/// whatever the load.
final class AppendQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [PendingWrite] = []
    private var bytes = 0
    private var isClosed = false
    private var refusesClients = false
    private let requestsMax: Int
    private let bytesMax: Int

    init(requestsMax: Int, bytesMax: Int) {
        self.requestsMax = requestsMax
        self.bytesMax = bytesMax
    }

    /// Queues `item`; returns the reason it was refused, or nil. The engine's own commands
    /// (``WriterCommand/isInternal``) are taken even when the queue is full or refuses clients.
    func enqueue(_ item: PendingWrite) -> EventStoreError? {
        condition.lock()
        defer { condition.unlock() }
        let isInternal = item.command.isInternal
        if isClosed || (refusesClients && !isInternal) { return .closed }
        // A single request larger than the byte bound still goes through an empty queue.
        if !isInternal, items.count >= requestsMax || (!items.isEmpty && bytes + item.bytes > bytesMax) { return .queueFull }
        items.append(item)
        bytes += item.bytes
        if items.count == 1 { condition.signal() }
        return nil
    }

    /// Waits for requests (at most `waitNanoseconds`: then the batch is empty) and takes as
    /// many as fit in one batch; nil once the queue is closed and empty.
    func takeBatch(requestsMax batchRequests: Int, bytesMax batchBytes: Int, waitNanoseconds: UInt64 = .max) -> [PendingWrite]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(waitNanoseconds) / 1e9)
        while items.isEmpty {
            if isClosed { return nil }
            if !condition.wait(until: deadline) { return items.isEmpty ? (isClosed ? nil : []) : takeLocked(batchRequests, batchBytes) }
        }
        return takeLocked(batchRequests, batchBytes)
    }

    private func takeLocked(_ batchRequests: Int, _ batchBytes: Int) -> [PendingWrite] {
        var count = 0
        var taken = 0
        while count < items.count, count < batchRequests, count == 0 || taken + items[count].bytes <= batchBytes {
            taken += items[count].bytes
            count += 1
        }
        bytes -= taken
        if count == items.count {
            defer { items = [] }
            return items
        }
        let batch = Array(items[..<count])
        items.removeFirst(count)
        return batch
    }

    /// Puts back, at the head of the queue, requests taken but not applied (their batch was
    /// full), so they keep their turn.
    func putBack(_ pending: [PendingWrite]) {
        condition.lock()
        items.insert(contentsOf: pending, at: 0)
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
        return (items.count, bytes)
    }

    /// Refuses new requests; the writer still drains what is queued.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }
}
