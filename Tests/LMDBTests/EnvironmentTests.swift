import Foundation
import LMDB
import Testing

@Suite("LMDB wrapper")
struct EnvironmentTests {
    private func withEnvironment(mapSizeBytes: Int = 1 << 20, mapSizeMaxBytes: Int = 64 << 20, _ body: (Environment, String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "/lmdb-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = try Environment(
            configuration: .init(directory: directory, databaseNames: ["a", "b"], mapSizeBytes: mapSizeBytes, mapSizeMaxBytes: mapSizeMaxBytes))
        try body(environment, directory)
        environment.close()
    }

    private func key(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @Test("a transaction commits on return and aborts on throw")
    func commitAndAbort() throws {
        try withEnvironment { environment, _ in
            let a = environment.database("a")
            try environment.write { transaction in
                try key(1).withUnsafeBytes { k in try ([9, 9] as [UInt8]).withUnsafeBytes { try transaction.put(a, key: k, value: $0) } }
            }
            struct Abandon: Error {}
            #expect(throws: Abandon.self) {
                try environment.write { transaction in
                    try key(2).withUnsafeBytes { k in try ([7] as [UInt8]).withUnsafeBytes { try transaction.put(a, key: k, value: $0) } }
                    throw Abandon()
                }
            }
            let (one, two, count) = try environment.read { transaction in
                (
                    try key(1).withUnsafeBytes { try transaction.get(a, key: $0).map(Array.init) },
                    try key(2).withUnsafeBytes { try transaction.get(a, key: $0).map(Array.init) },
                    try transaction.count(a)
                )
            }
            #expect(one == [9, 9] && two == nil && count == 1)
        }
    }

    @Test("cursors move in key order and seek at least / at most / exactly")
    func cursors() throws {
        try withEnvironment { environment, _ in
            let b = environment.database("b")
            try environment.write { transaction in
                for value in [10, 20, 30] as [UInt64] {
                    try key(value).withUnsafeBytes { k in try [UInt8(value)].withUnsafeBytes { try transaction.put(b, key: k, value: $0, flags: .append) } }
                }
                // Out of order with .append is refused.
                let refused: LMDBError? = {
                    do {
                        try key(5).withUnsafeBytes { k in try ([5] as [UInt8]).withUnsafeBytes { try transaction.put(b, key: k, value: $0, flags: .append) } }
                        return nil
                    } catch { return error as? LMDBError }
                }()
                #expect(refused == .keyExists)
            }
            let seen: [UInt8?] = try environment.read { transaction in
                try transaction.withCursor(b) { cursor in
                    [
                        try cursor.first()?.value.first, try cursor.next()?.value.first, try cursor.last()?.value.first,
                        try cursor.next()?.value.first,
                        try key(15).withUnsafeBytes { try cursor.seek(atLeast: $0) }?.value.first,
                        try key(25).withUnsafeBytes { try cursor.seek(atMost: $0) }?.value.first,
                        try key(99).withUnsafeBytes { try cursor.seek(atMost: $0) }?.value.first,
                        try key(30).withUnsafeBytes { try cursor.seek(exactly: $0) }?.value.first,
                        try key(31).withUnsafeBytes { try cursor.seek(exactly: $0) }?.value.first,
                    ]
                }
            }
            #expect(seen == [10, 20, 30, nil, 20, 20, 30, 30, nil])
        }
    }

    @Test("MDB_MAP_FULL surfaces as mapFull; growing the map lets the same write through")
    func mapGrowth() throws {
        try withEnvironment(mapSizeBytes: 64 << 10, mapSizeMaxBytes: 256 << 10) { environment, _ in
            let a = environment.database("a")
            let value = [UInt8](repeating: 1, count: 8_000)
            func fill(_ count: UInt64) throws {
                try environment.write { transaction in
                    for index in 0..<count {
                        try key(index).withUnsafeBytes { k in try value.withUnsafeBytes { try transaction.put(a, key: k, value: $0) } }
                    }
                }
            }
            #expect(throws: LMDBError.mapFull) { try fill(20) }
            #expect(try environment.read { try $0.count(a) } == 0, "nothing of the failed transaction is there")
            #expect(try environment.growMap())
            #expect(try environment.growMap())
            try fill(20)
            #expect(try environment.read { try $0.count(a) } == 20)
            #expect(try !environment.growMap(), "already at the maximum")
            #expect(try environment.info().mapSizeBytes == 256 << 10)
        }
    }

    @Test("reopen keeps data and database handles; a closed environment refuses transactions")
    func reopen() throws {
        try withEnvironment { environment, _ in
            let a = environment.database("a")
            try environment.write { transaction in
                try key(1).withUnsafeBytes { k in try ([1] as [UInt8]).withUnsafeBytes { try transaction.put(a, key: k, value: $0) } }
            }
            try environment.reopen()
            #expect(try environment.read { try $0.count(a) } == 1)
            #expect(try environment.clearStaleReaders() == 0)
            environment.close()
            #expect(throws: LMDBError.environmentClosed) { try environment.read { _ in } }
        }
    }

    @Test("errors carry LMDB's code and message")
    func errors() {
        #expect(LMDBError.mapFull.message.contains("MDB_MAP_FULL"))
        #expect(LMDBError.noSpace.isStorageFailure && LMDBError.ioError.isStorageFailure && !LMDBError.mapFull.isStorageFailure)
        #expect(LMDBError(code: 28).description.contains("28"))
    }
}
