import EventModel
import EventStoreTesting
import LMDB
import Testing

@testable import EventStore

/// Object listings and type counts against a model of a seeded random walk (appends, forks,
/// branch and object deletions, restarts), with versions and commit times recomputed from the
/// global log.
@Suite("Object listings: objects of a type in id order, and counts per type")
struct ObjectListingTests {
    /// What the walk knows of one object: its branches with their parents.
    private struct ModelObject {
        var branches: [String: String?] = ["main": nil]
    }

    private static let types = ["alpha", "beta", "gamma-x"]
    /// Ids that sort in tricky ways: prefixes of each other, and every character ids may hold.
    private static let ids = ["a", "a-b", "a.b", "a:b", "a_b", "ab", "A", "a-b-c", "b", "b9", "zz", "0", "a-", "sku-1", "sku-10", "sku-2"]

    @Test("pages of every limit, prefixes and counts equal a recomputation from the log, across restarts", arguments: [UInt64(11), 12])
    func walk(seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        var test = try TestStore.open()
        var model: [String: [String: ModelObject]] = [:]
        var branchNumber = 0
        var done = (forks: 0, branchesDeleted: 0, objectsDeleted: 0, restarts: 0)
        for step in 1...400 {
            test.clock.advance(byMilliseconds: Int64.random(in: 1...1_000, using: &generator))
            let type = Self.types.randomElement(using: &generator)!
            let id = Self.ids.randomElement(using: &generator)!
            let object = "\(type)/\(id)"
            let known = model[type]?[id]
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<50:
                let events = (0..<Int.random(in: 1...3, using: &generator)).map { ("Noted", "{\"n\":\($0)}") }
                _ = try await test.store.append(try TestEvents.request(object, events))
                if known == nil { model[type, default: [:]][id] = ModelObject() }
            case 50..<62 where known != nil:
                let branch = known!.branches.keys.sorted().randomElement(using: &generator)!
                _ = try await test.store.append(try TestEvents.request(object, [("Noted", "{}")], branch: try BranchName(branch)))
            case 62..<75 where known != nil:
                let parent = known!.branches.keys.sorted().randomElement(using: &generator)!
                let head = try test.store.version(of: StreamName(object: try ObjectKey(parsing: object), branch: try BranchName(parent)))
                branchNumber += 1
                let name = "b\(branchNumber)"
                _ = try await test.store.createBranch(
                    try BranchName(name), of: try ObjectKey(parsing: object), from: try BranchName(parent),
                    at: UInt64.random(in: 0...head, using: &generator))
                model[type]?[id]?.branches[name] = parent
                done.forks += 1
            case 75..<85 where known != nil:
                let childless = known!.branches.keys.filter { name in name != "main" && !known!.branches.values.contains(name) }.sorted()
                guard let doomed = childless.randomElement(using: &generator) else { continue }
                try await test.store.deleteBranch(try BranchName(doomed), of: try ObjectKey(parsing: object))
                model[type]?[id]?.branches[doomed] = nil
                done.branchesDeleted += 1
            case 85..<90 where known != nil:
                let key = try ObjectKey(parsing: object)
                try await test.store.submit { .deleteObject(key, $0) }
                model[type]?[id] = nil
                done.objectsDeleted += 1
            case 90..<92:
                await test.close()
                test = try test.reopened()
                done.restarts += 1
            default: break
            }
            if step % 40 == 0 { try check(test.store, model, &generator) }
        }
        try check(test.store, model, &generator)
        #expect(done.forks > 10 && done.branchesDeleted > 5 && done.objectsDeleted > 5 && done.restarts > 1, "the walk did each thing: \(done)")
        #expect(model.values.reduce(0) { $0 + $1.count } > 20, "objects left to list")
        await test.destroy()
    }

    /// Compares every type's listing (paged with a random limit, and with prefixes) and the
    /// counts with the model, versions and times taken from the log.
    private func check(_ store: EventStore, _ model: [String: [String: ModelObject]], _ generator: inout SplitMix64) throws {
        // From the log: each live branch's events (deleted ones are named BRANCH~deleted).
        var mainEvents: [String: Seq] = [:]
        var lastTime: [String: Int64] = [:]
        for event in try store.wholeLog() where !event.branch.hasSuffix("~deleted") {
            if event.branch == "main" { mainEvents[event.object, default: 0] += 1 }
            lastTime[event.object] = max(lastTime[event.object] ?? .min, event.timeMilliseconds)
        }
        var expectedCounts: [ObjectTypeCount] = []
        for type in Self.types {
            let objects = model[type] ?? [:]
            if !objects.isEmpty { expectedCounts.append(ObjectTypeCount(type: type, objects: UInt64(objects.count))) }
            let expected = objects.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { id in
                ListedObject(
                    id: id, version: mainEvents["\(type)/\(id)"] ?? 0, branches: objects[id]!.branches.count,
                    lastCommitMilliseconds: lastTime["\(type)/\(id)"] ?? 0)
            }
            let limit = Int.random(in: 1...7, using: &generator)
            var listed: [ListedObject] = []
            var after: String?
            var pages = 0
            repeat {
                let page = try store.listObjects(of: try ObjectType(type), after: after, limit: limit)
                #expect(page.objects.count <= limit)
                #expect(page.next == nil || page.objects.count == limit, "only a full page says more may follow")
                listed += page.objects
                after = page.next
                pages += 1
            } while after != nil && pages < 100
            #expect(listed == expected, "\(type), \(limit) a page")
            for prefix in ["a", "a-b", "sku-1", "Q"] {
                let page = try store.listObjects(of: try ObjectType(type), prefix: prefix, limit: 1_000)
                #expect(page.objects == expected.filter { $0.id.hasPrefix(prefix) }, "\(type) with prefix \(prefix)")
                #expect(page.next == nil)
            }
        }
        #expect(try store.objectTypeCounts() == expectedCounts)
    }

    @Test("a limit out of range is refused, naming the field")
    func limits() throws {
        let test = try TestStore.open()
        defer { Task { await test.destroy() } }
        for limit in [0, EventStore.listingLimitMax + 1] {
            #expect(throws: EventStoreError.invalidRequest(field: "limit", reason: "must be 1 to 1000, got \(limit)")) {
                _ = try test.store.listObjects(of: try ObjectType("alpha"), limit: limit)
            }
        }
    }

    @Test("a store of format 3 is upgraded on open: its objects are counted per type")
    func upgradeFromFormat3() async throws {
        var test = try TestStore.open()
        for object in ["alpha/a", "alpha/b", "beta/a"] { _ = try await test.store.append(try TestEvents.deposits(object, count: 2)) }
        _ = try await test.store.createBranch(try BranchName("fork"), of: try ObjectKey(parsing: "alpha/a"), at: 1)
        let directory = test.store.configuration.directory
        await test.close()

        // Format 3 had no counts.
        let environment = try Environment(configuration: .init(directory: directory, databaseNames: StoreLayout.databaseNames))
        let layout = StoreLayout(environment)
        try environment.write { transaction in
            for type in ["alpha", "beta"] { _ = try Array(type.utf8).withUnsafeBytes { try transaction.delete(layout.objects, key: $0) } }
            try Array("format".utf8).withUnsafeBytes { key in try StoreKeys.withKey(3) { try transaction.put(layout.meta, key: key, value: $0) } }
        }
        environment.close()

        test = try test.reopened()
        #expect(try test.store.objectTypeCounts() == [ObjectTypeCount(type: "alpha", objects: 2), ObjectTypeCount(type: "beta", objects: 1)])
        await test.destroy()
    }
}
