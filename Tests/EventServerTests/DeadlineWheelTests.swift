import EventStore
import Testing

@testable import EventServer

@Suite("The clock's deadline wheel: a subscriber is looked at when a deadline of its own may have passed, not at every tick")
struct DeadlineWheelTests {
    private static func subscriber(_ wheel: DeadlineWheel) -> Subscriber {
        Subscriber(id: 0, interest: .log(ConsumerFilter()), wheel: wheel, onStall: {})
    }

    @Test("a thousand writes and signalled waits file a subscriber about once; its tick finds the write that stalled, once")
    func filedOnce() async throws {
        let wheel = DeadlineWheel(tick: .milliseconds(100))
        let subscriber = Self.subscriber(wheel)
        for _ in 0..<1_000 {
            try await subscriber.write(timeout: .seconds(10)) {}
            subscriber.signal()
            #expect(await subscriber.wait(timeout: .seconds(30)))
        }
        #expect(wheel.entryCount <= 2, "filed \(wheel.entryCount) times")
        #expect(wheel.due(at: .now).isEmpty, "nothing is due before its time")

        subscriber.writeBegins(timeout: .seconds(10))
        let later = ContinuousClock.now + .seconds(11)
        let due = wheel.due(at: later)
        #expect(due.count >= 1 && due.allSatisfy { $0.subscriber === subscriber })
        let stalls = due.filter { $0.subscriber.tick(later, filedAt: $0.tick) }.count
        #expect(stalls == 1, "the stalled write is reported once: \(stalls)")
        subscriber.writeEnded(timeout: .seconds(10))
    }

    @Test("a subscriber that leaves is not kept by the wheel")
    func weakEntries() {
        let wheel = DeadlineWheel(tick: .milliseconds(100))
        weak var gone: Subscriber?
        do {
            let subscriber = Self.subscriber(wheel)
            subscriber.writeBegins(timeout: .seconds(10))
            gone = subscriber
            #expect(wheel.entryCount == 1)
        }
        #expect(gone == nil, "freed while still filed")
        #expect(wheel.due(at: .now + .seconds(11)).isEmpty)
    }
}
