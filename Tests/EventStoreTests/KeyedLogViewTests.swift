import EventModel
import EventStoreTesting
import Testing

@testable import EventStore

/// A keyed, ordered cross-object view: a row per object and branch of the types it reads, with
/// its events counted and their `n` summed (the order); `Cleared` removes the row.
private struct TallyView: LogProjection {
    struct State: Codable, Sendable, Equatable {
        var events = 0
        var rows = 0
    }

    struct Row: Codable, Sendable, Equatable {
        var count: Int
        var sum: Int
    }

    var name = "tally"
    let version = 1
    var initialState: State { State() }
    var objectTypes: [String]? { ["alpha", "beta"] }
    var orderedBy: String? { "sum" }

    func sortKey(of row: Row) -> Int64? { row.count % 3 == 0 ? nil : Int64(row.sum) }

    func apply(_ state: inout State, _ rows: Rows<Row>, _ event: LogEvent) {
        state.events += 1
        let key = "\(event.object)@\(event.branch)"
        if event.event.type == "Cleared" {
            if rows[key] != nil { state.rows -= 1 }
            rows[key] = nil
            return
        }
        let n = event.event.data["n"]?.integerValue ?? 0
        rows.update(key) { row in
            if row == nil { state.rows += 1 }
            row = Row(count: (row?.count ?? 0) + 1, sum: (row?.sum ?? 0) + n)
        }
    }
}

/// Keyed cross-object views against a recomputation from the log: every read (by key, prefix,
/// range, in order, as of a past position) over a seeded random walk of appends, forks, branch
/// deletions, folds in pieces, deferred writes, rebuilds and restarts.
@Suite("Keyed cross-object views: rows by key and in order, equal to a recomputation from the log")
struct KeyedLogViewTests {
    private static let types = ["alpha", "beta", "gamma"]
    private static let ids = ["a", "a-b", "ab", "b", "b9", "sku-1", "sku-10", "sku-2", "z"]
    /// The tenants the walk appends for: each has its own part of every view.
    private static let tenants = [Tenant.default, try! Tenant("acme"), try! Tenant("globex")]

    /// `tenant`'s part of the view folded from the log's first event through `position`, in memory.
    private func recomputed(_ store: EventStore, through position: Position, tenant: Tenant = .default) throws -> (state: TallyView.State, rows: [String: TallyView.Row]) {
        let view = TallyView()
        var state = view.initialState
        let rows = MemoryRows<TallyView.Row>()
        let prefix = tenant.isDefault ? "" : "\(tenant.name)|"
        for event in try store.wholeLog() where event.position <= position {
            // wholeLog names another tenant's objects `tenant|type/id`.
            guard event.object.contains("|") != tenant.isDefault, event.object.hasPrefix(prefix) else { continue }
            let object = String(event.object.dropFirst(prefix.count))
            guard !object.hasPrefix("gamma/") else { continue }
            let data = try Array(event.data.utf8).withUnsafeBytes { try JSONValue(parsing: $0) }
            // A deleted branch's events were committed on it: views fold them as the branch's.
            let branch = event.branch.hasSuffix("~deleted") ? String(event.branch.dropLast("~deleted".count)) : event.branch
            let logEvent = LogEvent(
                object: try ObjectKey(parsing: object, tenant: tenant), branch: try BranchName(branch), position: event.position,
                event: RecordedEvent(seq: event.seq, id: event.id, type: event.type, data: data, timeMilliseconds: event.timeMilliseconds))
            view.apply(&state, Rows(rows, seq: event.position), logEvent)
        }
        return (state, Dictionary(uniqueKeysWithValues: rows.rows.map { ($0.key.string, $0.value) }))
    }

    /// Every piece of a write, cut at the smallest size.
    private func pieces(_ pieces: LogViewWrite.Pieces) -> [LogViewWrite] {
        var pieces = pieces
        var all: [LogViewWrite] = []
        while let piece = pieces.next(atMost: LogViewWrite.Pieces.sizeMin) { all.append(piece) }
        return all
    }

    private func decode<T: Decodable>(_ json: [UInt8], as type: T.Type) throws -> T {
        try JSONValueDecoder().decode(type, from: try json.withUnsafeBytes { try JSONValue(parsing: $0) })
    }

    /// Every row `read` pages through with `limit` a page.
    private func paged(_ store: EventStore, view: String = "tally", tenant: Tenant = .default, _ make: (String?) -> LogViewQuery) throws -> [LogViewRows.Row] {
        var all: [LogViewRows.Row] = []
        var after: String?
        var pages = 0
        repeat {
            guard case .rows(let page)? = try store.readLogView(view, make(after), tenant: tenant) else { Issue.record("not rows"); return all }
            all += page.rows
            after = page.next
            pages += 1
        } while after != nil && pages < 500
        return all
    }

    private func check(_ store: EventStore, view: String = "tally", tenant: Tenant = .default, _ generator: inout SplitMix64) throws {
        guard case .state(let read)? = try store.readLogView(view, LogViewQuery(.state), tenant: tenant) else { Issue.record("no state"); return }
        let expected = try recomputed(store, through: read.position, tenant: tenant)
        #expect(try decode(read.state, as: TallyView.State.self) == expected.state, "summary at \(read.position)")
        let sortedKeys = expected.rows.keys.sorted { ByteKey($0).precedes(ByteKey($1)) }
        let limit = Int.random(in: 1...6, using: &generator)
        func rows(_ query: RowQuery.Match, at: Position? = nil) throws -> [String: TallyView.Row] {
            let listed = try paged(store, view: view, tenant: tenant) { LogViewQuery(.rows(RowQuery(query, after: $0, limit: limit)), at: at) }
            #expect(listed.map(\.key) == listed.map(\.key).sorted { ByteKey($0).precedes(ByteKey($1)) }, "key order")
            return Dictionary(uniqueKeysWithValues: try listed.map { ($0.key, try decode($0.json, as: TallyView.Row.self)) })
        }
        #expect(try rows(.prefix("")) == expected.rows, "every row, \(limit) a page")
        #expect(try rows(.prefix("alpha/a")) == expected.rows.filter { $0.key.hasPrefix("alpha/a") })
        #expect(try rows(.range(prefix: "beta/", from: "beta/a-b", to: "beta/sku-10")) == expected.rows.filter { $0.key.hasPrefix("beta/") && $0.key >= "beta/a-b" && $0.key < "beta/sku-10" })
        if let key = sortedKeys.randomElement(using: &generator) {
            #expect(try rows(.key(key)) == [key: expected.rows[key]!])
        }
        #expect(try rows(.key("alpha/none@main")).isEmpty)
        // In order, both ways: rows with a sort key, by it, ties by key.
        let ordered = expected.rows.filter { TallyView().sortKey(of: $0.value) != nil }.sorted {
            $0.value.sum != $1.value.sum ? $0.value.sum < $1.value.sum : ByteKey($0.key).precedes(ByteKey($1.key))
        }
        for descending in [false, true] {
            let listed = try paged(store, view: view, tenant: tenant) { after in
                LogViewQuery(.ordered(descending: descending, after: after.flatMap(LogViewOrderCursor.init), limit: limit))
            }
            let keys = ordered.map(\.key)
            #expect(listed.map(\.key) == (descending ? keys.reversed() : keys), "ordered, descending \(descending), \(limit) a page")
            #expect(listed.map(\.sortKey) == (descending ? ordered.reversed() : ordered).map { Int64($0.value.sum) })
        }
        // As of a past position: summary and rows.
        guard read.position > 0 else { return }
        let at = UInt64.random(in: 1...read.position, using: &generator)
        let past = try recomputed(store, through: at, tenant: tenant)
        guard case .state(let then)? = try store.readLogView(view, LogViewQuery(.state, at: at), tenant: tenant) else { Issue.record("no state at \(at)"); return }
        #expect(then.position == at)
        #expect(try decode(then.state, as: TallyView.State.self) == past.state, "summary as of \(at)")
        #expect(try rows(.prefix(""), at: at) == past.rows, "rows as of \(at)")
    }

    @Test("reads equal a recomputation, folded in pieces with deferred writes, across restarts", arguments: [UInt64(21), 22, 23])
    func walk(seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        // Two views folded in one scan of the log; the second is forgotten now and then, so
        // they are at different positions.
        var test = try TestStore.open(logViews: [AnyLogProjection(TallyView()), AnyLogProjection(TallyView(name: "tally-b"))])
        var branches: [String: [String]] = [:]
        var done = (restarts: 0, writes: 0, forks: 0, resets: 0, deletes: 0)
        for step in 1...450 {
            let name = "\(Self.types.randomElement(using: &generator)!)/\(Self.ids.randomElement(using: &generator)!)"
            let tenant = Self.tenants.randomElement(using: &generator)!
            // The walk's books keep each tenant's objects apart.
            let object = tenant.isDefault ? name : "\(tenant.name)|\(name)"
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<70:
                let branch = (branches[object] ?? ["main"]).randomElement(using: &generator)!
                let events = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
                    Int.random(in: 0..<10, using: &generator) == 0 ? ("Cleared", "{}") : ("Noted", "{\"n\":\(Int.random(in: -50...50, using: &generator))}")
                }
                _ = try await test.store.append(try TestEvents.request(name, events, branch: try BranchName(branch), tenant: tenant))
                if branches[object] == nil { branches[object] = ["main"] }
            case 70..<78 where branches[object] != nil:
                let branchName = "f\(step)"
                _ = try await test.store.createBranch(try BranchName(branchName), of: try ObjectKey(parsing: name, tenant: tenant), at: 0)
                branches[object]?.append(branchName)
                done.forks += 1
            case 78..<92:
                let interval: Int64 = Bool.random(using: &generator) ? 0 : 60_000
                // Some writes left in flight while the walk goes on (as the server leaves them).
                try await test.store.catchUpLogViews(
                    limit: Int.random(in: 1...40, using: &generator), writeIntervalMilliseconds: interval, waitingForWrites: Bool.random(using: &generator))
                if interval == 0 { done.writes += 1 }
            case 95..<97:
                try await test.store.resetLogView("tally-b")
                done.resets += 1
            case 97..<100:
                // Any object's branch (of any tenant): branches are few among three tenants' objects.
                let forked = branches.keys.sorted().flatMap { key in branches[key]!.filter { $0 != "main" }.map { (key, $0) } }
                guard let (key, doomed) = forked.randomElement(using: &generator) else { continue }
                let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                let owner = parts.count == 2 ? try Tenant(parts[0]) : Tenant.default
                try await test.store.deleteBranch(try BranchName(doomed), of: try ObjectKey(parsing: parts.last!, tenant: owner))
                branches[key]?.removeAll { $0 == doomed }
                done.deletes += 1
            case 92..<95:
                await test.close()
                test = try test.reopened()
                done.restarts += 1
            default: break
            }
            if step % 75 == 0 {
                for tenant in Self.tenants {
                    try check(test.store, tenant: tenant, &generator)
                    try check(test.store, view: "tally-b", tenant: tenant, &generator)
                }
            }
        }
        while try await test.store.catchUpLogViews(limit: 64) > 0 {}
        #expect(try test.store.logViewLag() == ["tally": 0, "tally-b": 0])
        for tenant in Self.tenants { try check(test.store, tenant: tenant, &generator) }
        await test.close()
        test = try test.reopened()
        for tenant in Self.tenants { try check(test.store, tenant: tenant, &generator) }
        let verified = try test.store.verifyLogViews()
        // Two views, each in three parts.
        #expect(verified.findings == [] && verified.views == 6 && verified.rows > 10 && verified.events > 100, "\(verified)")
        #expect(done.restarts > 2 && done.writes > 5 && done.forks > 3 && done.resets > 0 && done.deletes > 0, "the walk did each thing: \(done)")
        await test.destroy()
    }

    @Test("verify finds a stored row, a place in the order and a summary that the log does not fold to")
    func verifyFindsDamage() async throws {
        let test = try TestStore.open(logViews: [AnyLogProjection(TallyView())])
        for n in 1...5 { _ = try await test.store.append(try TestEvents.request("alpha/a\(n)", [("Noted", "{\"n\":\(n)}")])) }
        while try await test.store.catchUpLogViews() > 0 {}
        #expect(try test.store.verifyLogViews().findings == [])
        let view = AnyLogProjection(TallyView())
        let position = test.store.commits.committedPosition
        let changes = [LogRowChange(key: "alpha/a2@main", json: Array(#"{"count":1,"sum":7}"#.utf8), sortKey: 2, previousSortKey: 2)]
        for write in pieces(LogViewWrite.Pieces(view: view, id: 1, from: position, through: position, state: ["events": 9, "rows": 5], rows: changes)) {
            try await test.store.submit { .storeLogView(write, $0) }
        }
        let findings = try test.store.verifyLogViews().findings.map(\.subject)
        #expect(findings == ["state", "row alpha/a2@main"], "the sort key was left as it was")
        // A row's place removed: the order has lost it.
        let left = [LogRowChange(key: "alpha/a3@main", json: nil, sortKey: nil, previousSortKey: 3)]
        try await test.store.submit { .storeLogView(LogViewWrite(view: view, id: 1, isFirst: false, from: position, through: position, part: .leftPlaces(left[...])), $0) }
        #expect(try test.store.verifyLogViews().findings.map(\.subject) == ["state", "row alpha/a2@main", "order alpha/a3@main"])

        // A rebuild forgets what was stored and folds the log again.
        try await test.store.resetLogView("tally")
        #expect(try test.store.logViewLag() == ["tally": position])
        while try await test.store.catchUpLogViews(limit: 2) > 0 {}
        #expect(try test.store.verifyLogViews().findings == [])
        guard case .rows(let page)? = try test.store.readLogView("tally", LogViewQuery(.rows(RowQuery(.key("alpha/a2@main"))))) else {
            Issue.record("no rows")
            return
        }
        #expect(page.rows.map { String(decoding: $0.json, as: UTF8.self) } == [#"{"count":1,"sum":2}"#])
        await test.destroy()
    }

    @Test("a write cut short leaves nothing a read or verify sees: rows stored ahead of the checkpoint, places not yet removed after it")
    func writeCutShort() async throws {
        var generator = SplitMix64(seed: 5)
        var test = try TestStore.open(logViews: [AnyLogProjection(TallyView())])
        let view = AnyLogProjection(TallyView())
        func append(_ count: Int, fresh: Bool = false) async throws {
            for index in 0..<count {
                let object = fresh ? "beta/n\(index)" : "alpha/\(Self.ids.randomElement(using: &generator)!)"
                _ = try await test.store.append(try TestEvents.request(object, [("Noted", "{\"n\":\(Int.random(in: -50...50, using: &generator))}")]))
            }
        }
        try await append(40)
        while try await test.store.catchUpLogViews() > 0 {}
        for round in 0..<3 {
            // The rows as the log folds them a little further on, with the places they moved to
            // and from: what a crash leaves after a write's row pieces (round 0, 2) or after its
            // checkpoint, before its places left are removed (round 1). Round 0 has more rows
            // than a piece holds and stops after the first.
            let from = test.store.commits.committedPosition
            try await append(30)
            if round == 0 { try await append(LogViewWrite.Pieces.sizeMin + 50, fresh: true) }
            let through = test.store.commits.committedPosition
            let before = try recomputed(test.store, through: from).rows
            let after = try recomputed(test.store, through: through)
            let changes = after.rows.keys.sorted().filter { before[$0] != after.rows[$0] }.map { key in
                let row = after.rows[key]!
                return LogRowChange(
                    key: key, json: try! JSONBytesEncoder().encode(row), sortKey: TallyView().sortKey(of: row),
                    previousSortKey: before[key].flatMap { TallyView().sortKey(of: $0) })
            }
            #expect(changes.contains { $0.previousSortKey != nil && $0.sortKey != $0.previousSortKey }, "some rows move in the order")
            let state = try JSONValueEncoder().encode(after.state)
            let parts = pieces(LogViewWrite.Pieces(view: view, id: 1, from: from, through: through, state: state, rows: changes))
            let rowParts = parts.filter { if case .rows = $0.part { true } else { false } }
            #expect(rowParts.count == (round == 0 ? 2 : 1))
            let kept = round == 1 ? parts.filter { if case .leftPlaces = $0.part { false } else { true } } : Array(rowParts.prefix(1))
            for write in kept { try await test.store.submit { .storeLogView(write, $0) } }
            await test.close()
            test = try test.reopened()
            let verified = try test.store.verifyLogViews()
            #expect(verified.findings == [] && verified.stalePlaces > 0, "round \(round): \(verified)")
            try check(test.store, &generator)
            // Folded again short of where the cut write was going, then past it.
            try await test.store.catchUpLogViews(limit: 7)
            try check(test.store, &generator)
            try await append(5)
            while try await test.store.catchUpLogViews() > 0 {}
            try check(test.store, &generator)
            #expect(try test.store.verifyLogViews().findings == [])
        }
        await test.destroy()
    }

    @Test("a rebuild between the pieces of a write fails the rest of them, even once the refold is back where the write started")
    func rebuildBetweenPieces() async throws {
        let test = try TestStore.open(logViews: [AnyLogProjection(TallyView())])
        let view = AnyLogProjection(TallyView())
        for n in 1...5 { _ = try await test.store.append(try TestEvents.request("alpha/a\(n)", [("Noted", "{\"n\":\(n)}")])) }
        let position = test.store.commits.committedPosition
        let rows = (1...5).map { LogRowChange(key: "alpha/a\($0)@main", json: Array("{\"count\":1,\"sum\":\($0)}".utf8), sortKey: Int64($0)) }
        let parts = pieces(LogViewWrite.Pieces(view: view, id: 7, from: 0, through: position, state: ["events": 5, "rows": 5], rows: rows))
        #expect(parts.count == 3, "clear, rows, checkpoint")
        try await test.store.submit { .storeLogView(parts[0], $0) }
        try await test.store.resetLogView("tally")
        // Another write from the start cleared after the rebuild (and may have come back to where
        // the first started): the first one's pieces are not its.
        try await test.store.submit { .storeLogView(LogViewWrite(view: view, id: 8, isFirst: true, from: 0, through: position, part: .clear), $0) }
        for part in parts.dropFirst() {
            await #expect(throws: EventStoreError.self) { try await test.store.submit { .storeLogView(part, $0) } }
        }
        #expect(try test.store.logViewLag() == ["tally": position], "nothing stored")
        while try await test.store.catchUpLogViews() > 0 {}
        #expect(try test.store.verifyLogViews().findings == [])

        // A write from a later position, rebuilt between its pieces, the refold stopping exactly
        // where that write started: the rest of its pieces are still refused.
        for n in 6...8 { _ = try await test.store.append(try TestEvents.request("alpha/a\(n)", [("Noted", "{\"n\":\(n)}")])) }
        let later = test.store.commits.committedPosition
        let more = (6...8).map { LogRowChange(key: "alpha/a\($0)@main", json: Array("{\"count\":1,\"sum\":\($0)}".utf8), sortKey: Int64($0)) }
        let pieces = pieces(LogViewWrite.Pieces(view: view, id: 70, from: position, through: later, state: ["events": 8, "rows": 8], rows: more))
        try await test.store.submit { .storeLogView(pieces[0], $0) }
        try await test.store.resetLogView("tally")
        try await test.store.catchUpLogViews(limit: Int(position))
        #expect(try test.store.logViewLag() == ["tally": later - position], "folded again to where the write started")
        for piece in pieces.dropFirst() {
            await #expect(throws: EventStoreError.self) { try await test.store.submit { .storeLogView(piece, $0) } }
        }
        while try await test.store.catchUpLogViews() > 0 {}
        #expect(try test.store.verifyLogViews().findings == [])
        await test.destroy()
    }

    @Test("a read's parameters are checked, naming the one that cannot be taken")
    func parameters() throws {
        let view = AnyLogProjection(TallyView())
        let cases: [([String: String], String)] = [
            (["limit": "0"], "limit"), (["limit": "1001"], "limit"), (["order": "up"], "order"), (["order": "asc", "prefix": "a"], "prefix"),
            (["order": "asc", "at": "3"], "at"), (["order": "desc", "after": "nope"], "after"), (["key": "a", "limit": "3"], "limit"),
            (["at": "-1"], "at"), (["at": "x"], "at"),
        ]
        for (parameters, field) in cases {
            do throws(ViewQueryError) {
                _ = try LogViewQuery(parameters: parameters, view: view)
                Issue.record("\(parameters) was taken")
            } catch {
                #expect(error.field == field, "\(parameters)")
            }
        }
        #expect(try LogViewQuery(parameters: ["order": "desc", "limit": "10"], view: view) == LogViewQuery(.ordered(descending: true, after: nil, limit: 10)))
        #expect(try LogViewQuery(parameters: ["order": "asc", "after": "-3:alpha/a@main"], view: view).read
            == .ordered(descending: false, after: LogViewOrderCursor(sortKey: -3, key: "alpha/a@main"), limit: 100))
        #expect(try LogViewQuery(parameters: [:], view: view) == LogViewQuery(.state))
    }
}
