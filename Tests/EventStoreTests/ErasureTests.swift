import EventModel
import EventStoreTesting
import Foundation
import Projections
import Testing

@testable import EventStore

/// Objects sealed at rest under their own keys, and erased by destroying the key.
@Suite("Erasure by crypto-shredding: sealed at rest, unreadable once the key is gone")
struct ErasureTests {
    static let master = [UInt8](repeating: 7, count: 32)
    static let secret = "Alice-Liddell-4111-1111"

    /// Whether `text` occurs anywhere in the raw bytes of the store's data file.
    static func fileHolds(_ test: TestStore, _ text: String) throws -> Bool {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: test.store.configuration.directory + "/data.mdb"))
        return bytes.range(of: Data(text.utf8)) != nil
    }

    static func appendSecrets(_ test: TestStore, _ object: String, count: Int) async throws -> AppendOutcome {
        try await test.store.append(
            TestEvents.request(object, (0..<count).map { ("Deposited", "{\"n\":\($0),\"holder\":\"\(secret)-\($0)\",\"pad\":\"\(String(repeating: "p", count: 2_000))\"}") }))
    }

    @Test("with a master key, events are sealed: the data file holds none of their data, reads give it back whole, compressed or not")
    func sealedAtRest() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        defer { Task { await test.destroy() } }
        _ = try await test.store.append(TestEvents.request("account/a", [("Deposited", "{\"holder\":\"\(Self.secret)\"}")]))
        _ = try await Self.appendSecrets(test, "account/b", count: 3)
        #expect(try !Self.fileHolds(test, Self.secret))
        let events = try test.store.allEvents(of: "account/b")
        #expect(events.count == 3 && events.allSatisfy { $0.data.contains(Self.secret) }, "read back, decompressed and opened")
        var logged: [String] = []
        _ = try test.store.readLog(after: 0, limit: 10) { event, _ in logged.append(String(decoding: event.data, as: UTF8.self)) }
        #expect(logged.count == 4 && logged.allSatisfy { $0.contains(Self.secret) })
    }

    @Test("an export of a sealed object holds none of its data; a store with the same master key imports it whole, one without it or with another refuses it")
    func sealedExport() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        defer { Task { await test.destroy() } }
        _ = try await Self.appendSecrets(test, "account/exported", count: 5)
        let object = try ObjectKey(parsing: "account/exported")
        var lines: [[UInt8]] = []
        _ = try await test.store.export(object) { lines.append($0) }
        #expect(lines.count == 6 && lines.dropFirst().allSatisfy { $0.starts(with: Array(#"{"sealed":""#.utf8)) })
        #expect(!lines.contains { String(decoding: $0, as: UTF8.self).contains(Self.secret) })

        let target = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        defer { Task { await target.destroy() } }
        target.clock.advance(byMilliseconds: 60_000)
        var cursor = lines.makeIterator()
        let (_, count) = try await target.store.importObject { cursor.next() }
        #expect(count == 5)
        #expect(try target.store.allEvents(of: "account/exported").map(\.data) == test.store.allEvents(of: "account/exported").map(\.data))

        for masterKey in [nil, [UInt8](repeating: 8, count: 32)] {
            let other = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = masterKey }
            defer { Task { await other.destroy() } }
            cursor = lines.makeIterator()
            await #expect(throws: ObjectArchive.ArchiveError.self) { _ = try await other.store.importObject { cursor.next() } }
            #expect(try other.store.allEvents(of: "account/exported").isEmpty)
        }
        // A tampered line is refused, naming it.
        var tampered = lines
        tampered[3][20] = tampered[3][20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        cursor = tampered.makeIterator()
        await #expect(throws: ObjectArchive.ArchiveError.self) { _ = try await target.store.importObject(replacing: true) { cursor.next() } }
    }

    @Test("a parked batch keeps a sealed object's events sealed: read back as they were sent, as the tombstone once the object is erased")
    func parkedBatches() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        defer { Task { await test.destroy() } }
        _ = try await Self.appendSecrets(test, "account/parked", count: 2)
        _ = try await test.store.append(TestEvents.request("account/other", [("Deposited", #"{"note":"other-data"}"#)]))
        func event(_ object: String, position: Int, data: String) -> String {
            #"{"specversion":"1.0","id":"e-\#(position)","source":"/v1/objects/\#(object)","type":"Deposited","subject":"main","time":"2026-01-01T00:00:00.000Z","datacontenttype":"application/json","data":\#(data),"position":\#(position),"seq":1,"objecttype":"account"}"#
        }
        let batch = "[" + event("account/parked", position: 1, data: #"{"holder":"\#(Self.secret)"}"#) + "," + event("account/other", position: 3, data: #"{"note":"other-data"}"#) + "]"
        try await test.store.park(sink: "hook", firstPosition: 1, batch: Array(batch.utf8), reason: "503")
        #expect(try !Self.fileHolds(test, Self.secret), "sealed when parked")
        #expect(try test.store.parkedBatches().map { String(decoding: $0.body, as: UTF8.self) } == [batch], "read back as sent")

        let erasure = try await test.store.erase(try ObjectKey(parsing: "account/parked"))
        let body = try #require(try test.store.parkedBatches().first).body
        let events = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]])
        #expect(events.count == 2 && events[0]["type"] as? String == "ObjectErased" && events[0]["position"] as? Int == 1)
        #expect((events[0]["data"] as? [String: Any])?["erasedAt"] as? Int == Int(erasure.erasedAtMilliseconds))
        #expect((events[1]["data"] as? [String: Any])?["note"] as? String == "other-data" && !String(decoding: body, as: UTF8.self).contains(Self.secret))
    }

    @Test("an erased object: its tombstone ends the log, its records read as ObjectErased at their positions, it takes nothing new, its key is gone")
    func erase() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        defer { Task { await test.destroy() } }
        _ = try await Self.appendSecrets(test, "account/gone", count: 3)
        _ = try await test.store.append(TestEvents.deposits("account/kept", count: 2))
        let object = try ObjectKey(parsing: "account/gone")
        test.clock.advance(byMilliseconds: 1_000)
        let erasure = try await test.store.erase(object)
        #expect(erasure.position == 6 && erasure.erasedAtMilliseconds == test.clock.nowMilliseconds())
        #expect(try test.store.erasure(of: object) == erasure.erasedAtMilliseconds)
        var log: [(Position, String, String)] = []
        _ = try test.store.readLog(after: 0, limit: 100) { event, _ in
            log.append((event.position, String(decoding: event.type, as: UTF8.self), String(decoding: event.data, as: UTF8.self)))
        }
        #expect(log.map(\.0) == [1, 2, 3, 4, 5, 6], "dense")
        #expect(log.filter { $0.1 == "ObjectErased" }.map(\.0) == [1, 2, 3, 6])
        #expect(log[0].2 == "{\"erasedAt\":\(erasure.erasedAtMilliseconds)}" && !log.contains { $0.2.contains(Self.secret) })
        #expect(log[3].1 == "Deposited", "another object's events read as they were")
        await #expect(throws: EventStoreError.objectErased(object, at: erasure.erasedAtMilliseconds)) {
            _ = try await test.store.append(TestEvents.deposits("account/gone", count: 1))
        }
        await #expect(throws: EventStoreError.objectErased(object, at: erasure.erasedAtMilliseconds)) { _ = try await test.store.erase(object) }
        #expect(try test.store.branches(of: object).isEmpty)
        // An object deleted whole (no branch left) is erased without a tombstone.
        _ = try await Self.appendSecrets(test, "account/deleted", count: 1)
        let deleted = try ObjectKey(parsing: "account/deleted")
        try await test.store.submit { .deleteObject(deleted, $0) }
        let quiet = try await test.store.erase(deleted)
        #expect(try test.store.erasure(of: deleted) == quiet.erasedAtMilliseconds)
        var last = ""
        _ = try test.store.readLog(after: quiet.position - 1, limit: 1) { event, _ in last = String(decoding: event.type, as: UTF8.self) }
        #expect(last == "ObjectErased", "its sealed event now reads as erased")
        await #expect(throws: EventStoreError.branchNotFound(StreamName(object: try ObjectKey(parsing: "account/never")))) {
            _ = try await test.store.erase(try ObjectKey(parsing: "account/never"))
        }
        let keyState = try test.store.read { transaction in try test.store.layout.keyRing!.state(ofObject: object.storageName, in: transaction) }
        #expect(keyState == .erased(erasure.erasedAtMilliseconds))
    }

    @Test("erasure needs a master key; a sealed store refuses to open without its key or with another")
    func masterKeys() async throws {
        let plain = try TestStore.open(objectTypes: BundledTypes.all)
        _ = try await plain.store.append(TestEvents.deposits("account/a", count: 1))
        await #expect(throws: EventStoreError.sealingOff) { _ = try await plain.store.erase(try ObjectKey(parsing: "account/a")) }
        await plain.destroy()

        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        _ = try await test.store.append(TestEvents.deposits("account/a", count: 1))
        await test.close()
        #expect(throws: EventStoreError.self) { _ = try test.reopened { $0.masterKey = nil } }
        #expect(throws: EventStoreError.self) { _ = try test.reopened { $0.masterKey = [UInt8](repeating: 8, count: 32) } }
        let again = try test.reopened { $0.masterKey = Self.master }
        #expect(try again.store.allEvents(of: "account/a").count == 1)
        await again.destroy()
    }

    @Test("views' checkpoints are sealed too: snapshots and keyed rows hold no plain data, read back and verify; erased, nothing of the object is left in the file")
    func sealedCheckpoints() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) {
            $0.masterKey = Self.master
            $0.snapshotIntervalEvents = 2
        }
        defer { Task { await test.destroy() } }
        let order = try ObjectKey(parsing: "order/o-1")
        _ = try await test.store.run(
            CommandRequest(
                stream: StreamName(object: order), command: "place",
                body: ["customerId": .string(Self.secret), "paymentSeconds": 600, "lines": [["sku": "a", "qty": 1]]]))
        let sku = StreamName(object: try ObjectKey(parsing: "inventory/sku-s"))
        _ = try await test.store.run(CommandRequest(stream: sku, command: "restock", body: ["qty": 50]))
        for n in 0..<6 {
            _ = try await test.store.run(CommandRequest(stream: sku, command: "reserve", body: ["qty": 1, "orderId": .string("o-\(n)"), "expiresAt": 4_000_000_000_000]))
        }
        await test.close()
        #expect(try !Self.fileHolds(test, Self.secret), "the order's snapshot is sealed")
        let again = try test.reopened()
        // Every snapshot and row stored (of per-object views: not the cross-object ones) is sealed.
        let (snapshots, rows) = try again.store.read { transaction in
            var counts = (snapshots: 0, rows: 0)
            for (database, isSnapshot) in [(again.store.layout.snapshots, true), (again.store.layout.rows, false)] {
                try transaction.withCursor(database) { cursor in
                    var entry = try cursor.first()
                    while let current = entry {
                        if StoreKeys.integer(current.key) != EventStore.logViewStream {
                            let sealed = isSnapshot ? SealedValue.isSealedSnapshot(current.value) : SealedValue.isSealedRow(current.value)
                            #expect(sealed, "a \(isSnapshot ? "snapshot" : "row") stored plain")
                            if isSnapshot { counts.snapshots += 1 } else { counts.rows += 1 }
                        }
                        entry = try cursor.next()
                    }
                }
            }
            return counts
        }
        #expect(snapshots >= 3 && rows >= 6, "\(snapshots) snapshots, \(rows) rows")
        let view = try #require(BundledTypes.all["order"]?.views.first)
        let read = try #require(try again.store.readView(view, of: StreamName(object: order)))
        #expect(String(decoding: read.state, as: UTF8.self).contains(Self.secret), "read back from the sealed snapshot")
        let stock = try #require(BundledTypes.inventory.views.first)
        let stockRead = try #require(try again.store.readView(stock, of: sku))
        #expect(String(decoding: stockRead.state, as: UTF8.self).contains("\"reserved\":6"))
        #expect(try again.store.verify().findings.isEmpty, "snapshots and rows verify sealed")
        _ = try await again.store.erase(order)
        await again.close()
        #expect(try !Self.fileHolds(again, Self.secret))
        await again.destroy()
    }

    @Test("a restore draws a new sealing epoch; restored with a tail past an erasure, the object is erased again, its events unreadable")
    func restores() async throws {
        let test = try TestStore.open(objectTypes: BundledTypes.all) { $0.masterKey = Self.master }
        let folders = TemporaryDirectory(prefix: "evlog-erasure")
        defer {
            folders.remove()
            Task { await test.destroy() }
        }
        _ = try await Self.appendSecrets(test, "account/gone", count: 2)
        let full = try await test.store.backup(to: folders.path + "/full")
        _ = try await test.store.append(TestEvents.deposits("account/kept", count: 2))
        _ = try await test.store.erase(try ObjectKey(parsing: "account/gone"))
        _ = try await test.store.backupTail(after: folders.path + "/full", to: folders.path + "/tail")

        let data = folders.path + "/restored"
        _ = try EventStore.restore(from: folders.path + "/full", into: data)
        let restoredFile = try Data(contentsOf: URL(fileURLWithPath: data + "/data.mdb"))
        #expect(restoredFile.range(of: Data(Self.secret.utf8)) == nil, "the backup taken before the erasure holds no byte of the data in the clear")
        var configuration = StoreConfiguration(directory: data)
        configuration.masterKey = Self.master
        let store = try EventStore(configuration: configuration, objectTypes: BundledTypes.all, holder: "test", logger: quietLogger)
        #expect(store.layout.keyRing!.epoch.load(ordering: .relaxed) != test.store.layout.keyRing!.epoch.load(ordering: .relaxed))
        #expect(try store.allEvents(of: "account/gone").count == 2, "the full backup holds it, with its key")
        var restorer = try BackupTailRestorer(store: store, restoredFrom: .full(full), through: nil)
        try await restorer.apply(folders.path + "/tail")
        _ = try await restorer.finish()
        #expect(try store.erasure(of: try ObjectKey(parsing: "account/gone")) != nil)
        var types: [String] = []
        _ = try store.readLog(after: 0, limit: 100) { event, _ in types.append(String(decoding: event.type, as: UTF8.self)) }
        #expect(types == ["ObjectErased", "ObjectErased", "Deposited", "Deposited", "ObjectErased"], "\(types)")
        await store.close()
    }
}
