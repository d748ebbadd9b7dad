import EventModel
import EventStoreTesting
import Testing

@testable import EventStore

/// Counts the events it folds (a cross-object view: each tenant's part counts its own).
private struct CountingView: LogProjection {
    let name = "counting"
    let version = 1
    var initialState: Int { 0 }
    var objectTypes: [String]? { nil }
    func apply(_ state: inout Int, _ rows: Rows<NoRow>, _ event: LogEvent) { state += 1 }
}

/// Tenants in one store: the same type and id are two objects; listings, counts, branches,
/// consumers, event ids and the log's names are each tenant's own, across a restart.
@Suite("Tenants: one store, each tenant's objects its own")
struct TenantTests {
    static let acme = try! Tenant("acme")
    static let globex = try! Tenant("globex")

    @Test("tenant names: 1 to 63 of a-z, 0-9 and -; storage names of the default tenant carry none")
    func names() throws {
        for name in ["a", "acme", "acme-2", String(repeating: "x", count: 63)] { #expect(Tenant.isValid(name), "\(name)") }
        for name in ["", "Acme", "ac|me", "ac me", "ac_me", String(repeating: "x", count: 64)] { #expect(!Tenant.isValid(name), "\(name)") }
        let object = try ObjectKey(parsing: "inventory/sku:1")
        #expect(object.storageName == Array("inventory/sku:1".utf8))
        let theirs = try ObjectKey(parsing: "inventory/sku:1", tenant: Self.acme)
        #expect(theirs.storageName == Array("acme|inventory/sku:1".utf8))
        #expect(theirs != object && theirs.description == object.description)
        #expect(try theirs.storageName.withUnsafeBytes { try ObjectKey(storageName: $0) } == theirs)
        #expect(try object.storageName.withUnsafeBytes { try ObjectKey(storageName: $0) } == object)
    }

    @Test("the same type/id in three tenants: separate streams, versions, listings, counts and branches, across a restart")
    func separateObjects() async throws {
        var test = try TestStore.open()
        for (tenant, count) in [(Tenant.default, 1), (Self.acme, 2), (Self.globex, 3)] {
            _ = try await test.store.append(try TestEvents.request("alpha/x", Array(repeating: ("Noted", "{}"), count: count), tenant: tenant))
        }
        _ = try await test.store.append(try TestEvents.request("alpha/only-acme", [("Noted", "{}")], tenant: Self.acme))
        _ = try await test.store.createBranch(try BranchName("b"), of: try ObjectKey(parsing: "alpha/x", tenant: Self.acme), from: .main, at: 1)
        for round in 0..<2 {
            for (tenant, count) in [(Tenant.default, 1), (Self.acme, 2), (Self.globex, 3)] {
                #expect(try test.store.version(of: StreamName(object: try ObjectKey(parsing: "alpha/x", tenant: tenant))) == UInt64(count), "round \(round)")
                #expect(try test.store.allEvents(of: "alpha/x", tenant: tenant).count == count)
            }
            #expect(try test.store.listObjects(of: try ObjectType("alpha"), limit: 10).objects.map(\.id) == ["x"])
            #expect(try test.store.listObjects(of: try ObjectType("alpha"), tenant: Self.acme, limit: 10).objects.map(\.id) == ["only-acme", "x"])
            #expect(try test.store.listObjects(of: try ObjectType("alpha"), tenant: Self.globex, prefix: "o", limit: 10).objects.isEmpty)
            #expect(try test.store.objectTypeCounts() == [ObjectTypeCount(type: "alpha", objects: 1)])
            #expect(try test.store.objectTypeCounts(tenant: Self.acme) == [ObjectTypeCount(type: "alpha", objects: 2)])
            #expect(try test.store.objectTypeCounts(tenant: try Tenant("nobody")) == [])
            #expect(try test.store.branches(of: try ObjectKey(parsing: "alpha/x", tenant: Self.acme)).map(\.name.name).sorted() == ["b", "main"])
            #expect(try test.store.branches(of: try ObjectKey(parsing: "alpha/x")).map(\.name.name) == ["main"])
            #expect(try test.store.branches(of: try ObjectKey(parsing: "alpha/only-acme")).isEmpty)
            let log = try test.store.wholeLog().map(\.object)
            #expect(log == ["alpha/x", "acme|alpha/x", "acme|alpha/x", "globex|alpha/x", "globex|alpha/x", "globex|alpha/x", "acme|alpha/only-acme"])
            await test.close()
            test = try test.reopened()
        }
        #expect(try test.store.verify().findings.isEmpty)
        await test.destroy()
    }

    @Test("an event id is each tenant's: the same id in another tenant is a new event, and a retry within a tenant still answers the first append")
    func eventIDs() async throws {
        let test = try TestStore.open()
        let id = EventID(high: 0x0190_0000_0000_7000, low: 0x8000_0000_0000_0001)
        let first = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}")], ids: [id]))
        let theirs = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}")], ids: [id], tenant: Self.acme))
        #expect(theirs.firstPosition != first.firstPosition, "a new event, not acme seeing the default tenant's")
        let retried = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}")], ids: [id], tenant: Self.acme))
        #expect(retried.firstPosition == theirs.firstPosition, "a retry within acme")
        await #expect(throws: EventStoreError.self) {
            _ = try await test.store.append(try TestEvents.request("alpha/y", [("Noted", "{}")], ids: [id], tenant: Self.acme))
        }
        #expect(try test.store.wholeLog().count == 2)
        await test.destroy()
    }

    @Test("consumers: the same name in two tenants is two consumers, each reading its own tenant's events only")
    func consumers() async throws {
        let test = try TestStore.open()
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}")]))
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}"), ("Noted", "{}")], tenant: Self.acme))
        _ = try await test.store.putConsumer("c", filter: ConsumerFilter())
        _ = try await test.store.putConsumer("c", tenant: Self.acme, filter: ConsumerFilter(objectTypes: ["alpha"]))
        #expect(try test.store.consumers().map(\.name) == ["c"])
        #expect(try test.store.consumers(tenant: Self.acme).map(\.tenant) == [Self.acme])
        #expect(try test.store.consumer("c", tenant: Self.globex) == nil)
        var seen: [(tenant: String, object: String)] = []
        let page = try test.store.readConsumer("c", tenant: Self.acme, limit: 10) { _, name in
            seen.append((String(decoding: name.tenant, as: UTF8.self), String(decoding: name.object, as: UTF8.self)))
        }
        #expect(page?.delivered == 2 && seen.allSatisfy { $0 == ("acme", "alpha/x") })
        var defaults = 0
        _ = try test.store.readConsumer("c", limit: 10) { _, name in
            #expect(name.tenant.isEmpty)
            defaults += 1
        }
        #expect(defaults == 1)
        try await test.store.ack("c", tenant: Self.acme, position: 3)
        #expect(try test.store.consumer("c")?.position == 0, "acknowledging acme's c leaves the default tenant's c")
        await #expect(throws: EventStoreError.self) { try await test.store.deleteConsumer("c", tenant: Self.globex) }
        try await test.store.deleteConsumer("c", tenant: Self.acme)
        #expect(try test.store.consumer("c") != nil)
        await test.destroy()
    }

    @Test("bytes appended are counted per tenant, in the batch's transaction, across a restart")
    func appendedBytes() async throws {
        var test = try TestStore.open()
        #expect(try test.store.appendedBytes(of: Self.acme) == 0)
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{\"n\":1}")]))
        let one = try test.store.appendedBytes(of: .default)
        #expect(one > 0)
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{\"n\":1}"), ("Noted", "{\"n\":1}")], tenant: Self.acme))
        #expect(try test.store.appendedBytes(of: Self.acme) == 2 * one, "two records of the same size")
        #expect(try test.store.appendedBytes(of: .default) == one)
        await test.close()
        test = try test.reopened()
        #expect(try test.store.appendedBytes(of: Self.acme) == 2 * one)
        #expect(try test.store.appendedBytes(of: Self.globex) == 0)
        await test.destroy()
    }

    @Test("a cross-object view is one part per tenant, each folded from its tenant's events, stored apart, as of any position, verified, reset")
    func logViewParts() async throws {
        var test = try TestStore.open(logViews: [AnyLogProjection(CountingView())])
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}")]))
        _ = try await test.store.append(try TestEvents.request("alpha/x", [("Noted", "{}"), ("Noted", "{}")], tenant: Self.acme))
        while try await test.store.catchUpLogViews() > 0 {}
        func count(_ tenant: Tenant, at: Position? = nil) throws -> String {
            guard case .state(let read)? = try test.store.readLogView("counting", LogViewQuery(.state, at: at), tenant: tenant) else { return "none" }
            return String(decoding: read.state, as: UTF8.self)
        }
        #expect(try count(.default) == "1" && count(Self.acme) == "2" && count(Self.globex) == "0")
        #expect(try count(Self.acme, at: 2) == "1" && count(.default, at: 2) == "1", "as of position 2: one event of each")
        await test.close()
        test = try test.reopened()
        #expect(try count(.default) == "1" && count(Self.acme) == "2", "as stored")
        _ = try await test.store.append(try TestEvents.request("alpha/y", [("Noted", "{}")], tenant: Self.acme))
        while try await test.store.catchUpLogViews() > 0 {}
        #expect(try count(Self.acme) == "3" && count(.default) == "1")
        let verified = try test.store.verifyLogViews()
        #expect(verified.findings == [] && verified.views == 2, "\(verified)")
        try await test.store.resetLogView("counting")
        #expect(try count(Self.acme) == "0", "a reset forgets every part")
        while try await test.store.catchUpLogViews() > 0 {}
        #expect(try count(Self.acme) == "3" && count(.default) == "1")
        await test.destroy()
    }
}
