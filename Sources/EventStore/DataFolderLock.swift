import Glibc

/// An exclusive `flock` on `<data folder>/LOCK`, held for as long as a store is open.
///
/// LMDB would let a second process open the same environment; our single writer would not
/// survive it, so the second opener is refused with the holder's description instead.
final class DataFolderLock: @unchecked Sendable {
    private var descriptor: Int32

    /// Takes the lock and writes `holder` (e.g. "evtool serve, pid 4242") into the file.
    /// - Throws: ``EventStoreError/dataFolderInUse(path:holder:)`` when another process holds it.
    init(directory: String, holder: String) throws(EventStoreError) {
        let path = directory + "/LOCK"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .dataFolderUnusable(path: directory, reason: String(cString: strerror(errno)))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            // Swift runs deinit when an init throws after every stored property is set: release()
            // must not close this number again (by then another thread may own it).
            descriptor = -1
            let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : "another process"
            throw .dataFolderInUse(path: directory, holder: text.trimmingTrailingNewlines)
        }
        ftruncate(descriptor, 0)
        let text = holder + "\n"
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Releases the lock (also released by the kernel if the process dies).
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while text.last == "\n" || text.last == "\0" { text.removeLast() }
        return String(text)
    }
}
