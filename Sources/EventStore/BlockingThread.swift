import Glibc

/// A thread that runs one blocking piece of work (an LMDB copy, a verification) off the
/// cooperative pool, whose few threads the server's requests need.
final class BlockingThread {
    private let work: () -> Void

    private init(_ work: @escaping () -> Void) { self.work = work }

    /// Runs `work` on a new thread (on the caller's when none can be made) and returns what it
    /// returns.
    static func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            BlockingThread { continuation.resume(returning: work()) }.start()
        }
    }

    private func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { pointer in
            let me = Unmanaged<BlockingThread>.fromOpaque(pointer!).takeRetainedValue()
            me.work()
            return nil
        }, box)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<BlockingThread>.fromOpaque(box).release()
            work()
        }
    }
}
