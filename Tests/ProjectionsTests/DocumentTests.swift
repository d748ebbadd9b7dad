import EventModel
import Projections
import Testing

/// The document type driven like the engine drives it, with its views decoded.
private struct DocumentHarness {
    var object: ObjectTypeHarness
    var presence: PresenceView.State { object.summary("presence") }

    /// The blocks view as one value: its blocks in document order (its `o/` rows), who can
    /// undo what, and the ties.
    struct Blocks {
        var blocks: [BlocksView.Block]
        var editors: [String: BlocksView.Editor]
        var tiedBlocks: Int
    }

    var blocks: Blocks {
        let summary = object.summary("blocks", as: BlocksView.Summary.self)
        let ordered = object.rows("blocks", prefix: BlocksView.orderPrefix, as: BlocksView.Block.self).map(\.row)
        #expect(ordered.count == summary.blocks && object.rows("blocks", prefix: "b/", as: BlocksView.Block.self).count == summary.blocks)
        return Blocks(blocks: ordered, editors: summary.editors, tiedBlocks: summary.tiedBlocks)
    }
    var texts: [String] { blocks.blocks.map(\.text) }

    init(idleMilliseconds: Int64 = DocumentType.idleMillisecondsDefault) {
        let definition =
            idleMilliseconds == DocumentType.idleMillisecondsDefault
            ? BundledTypes.document : DocumentType.definition(idleMilliseconds: idleMilliseconds)
        object = ObjectTypeHarness(definition)
    }

    /// Runs a command that must succeed and returns its events.
    @discardableResult
    mutating func run(_ name: String, _ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> [NewEvent] {
        switch object.run(name, body) {
        case .success(let events): return events
        case .failure(let rejection):
            Issue.record("\(name) refused: \(rejection.code) \(rejection.message)", sourceLocation: sourceLocation)
            return []
        }
    }

    /// Runs a command that must be refused and returns why; nothing must be appended.
    mutating func refusal(_ name: String, _ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> Rejection? {
        let before = object.events.count
        let result = object.run(name, body)
        #expect(object.events.count == before, "a refused command appends nothing", sourceLocation: sourceLocation)
        guard case .failure(let rejection) = result else {
            Issue.record("\(name) was not refused", sourceLocation: sourceLocation)
            return nil
        }
        return rejection
    }

    /// Inserts a block with `text` (extra members in `body`) and returns its id.
    @discardableResult
    mutating func insert(_ text: String, by userId: String = "u1", _ body: [String: JSONValue] = [:]) -> String {
        let events = run("insertBlock", .object(body.merging(["userId": .string(userId), "text": .string(text)]) { $1 }))
        return events.first?.data["blockId"]?.stringValue ?? ""
    }

    func blockId(_ text: String) -> String { blocks.blocks.first { $0.text == text }!.blockId }
}

@Suite("document: presence, blocks, undo and the idle timer")
struct DocumentTests {
    @Test("join, cursor and leave keep presence: names, cursors, last seen, and the idle timer")
    func presence() throws {
        var document = DocumentHarness()
        let joinedAt = document.object.now
        let joined = document.run("join", ["userId": "u1", "userName": "Ann"])
        #expect(joined.map(\.type) == ["Joined", "TimerSet"])
        #expect(joined[1].data == ["timerId": "idle:u1", "dueAt": .number(Double(joinedAt + 300_000)), "payload": ["userId": "u1"]])
        let member = try #require(document.presence.users["u1"])
        #expect(member.userName == "Ann" && member.cursor == nil && member.lastSeen == joinedAt)
        #expect(document.blocks.editors["u1"]?.undo.isEmpty == true)

        let block = document.insert("hello")
        document.object.now += 5_000
        let moved = document.run("cursor", ["userId": "u1", "blockId": .string(block), "offset": 3])
        #expect(moved.map(\.type) == ["CursorMoved", "TimerSet"])
        #expect(moved[1].data["dueAt"] == .number(Double(document.object.now + 300_000)), "acting moves the idle deadline")
        #expect(document.presence.users["u1"]?.cursor?.blockId == block && document.presence.users["u1"]?.cursor?.offset == 3)
        #expect(document.presence.users["u1"]?.lastSeen == document.object.now)

        document.object.now += 1_000
        document.run("join", ["userId": "u1", "userName": "Ann B."])
        #expect(
            document.presence.users["u1"]?.userName == "Ann B." && document.presence.users["u1"]?.cursor != nil,
            "joining again renames, keeps the cursor")
        #expect(document.presence.users["u1"]?.lastSeen == document.object.now)

        let left = document.run("leave", ["userId": "u1"])
        #expect(left == [NewEvent(type: "Left", data: ["userId": "u1", "reason": "left"]), .cancelTimer(id: "idle:u1")])
        #expect(document.presence.users.isEmpty && document.blocks.editors.isEmpty && document.object.timers.isEmpty)
    }

    @Test("every editing command refreshes the user's last seen and idle deadline")
    func editingRefreshesLastSeen() {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        let a = document.insert("a")
        let b = document.insert("b")
        let commands: [(String, JSONValue)] = [
            ("insertBlock", ["userId": "u1", "text": "c"]), ("updateBlock", ["userId": "u1", "blockId": .string(a), "text": "a2"]),
            ("moveBlock", ["userId": "u1", "blockId": .string(a)]), ("undo", ["userId": "u1"]),
            ("deleteBlock", ["userId": "u1", "blockId": .string(a)]),
            ("cursor", ["userId": "u1", "blockId": .string(b), "offset": 0]),
        ]
        for (name, body) in commands {
            document.object.now += 1_000
            let events = document.run(name, body)
            #expect(document.presence.users["u1"]?.lastSeen == document.object.now, "\(name)")
            #expect(events.last == .setTimer(id: "idle:u1", dueAt: document.object.now + 300_000, payload: ["userId": "u1"]), "\(name)")
            #expect(document.object.timers["idle:u1"]?.dueAt == document.object.now + 300_000)
        }
    }

    @Test("insertBlock puts blocks at the end, after, before or between neighbours, with a kind")
    func insertPlacement() {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        let a = document.insert("a", ["blockId": "A"])
        let d = document.insert("d")
        document.insert("b", ["after": .string(a)])
        document.insert("c", ["before": .string(d), "kind": "heading"])
        document.insert("0", ["before": .string(a)])
        document.insert("bc", ["after": .string(document.blockId("b")), "before": .string(document.blockId("c"))])
        #expect(document.texts == ["0", "a", "b", "bc", "c", "d"])
        #expect(a == "A")
        #expect(document.blocks.blocks.map(\.kind) == [.paragraph, .paragraph, .paragraph, .paragraph, .heading, .paragraph])
        let positions = document.blocks.blocks.map(\.position)
        #expect(positions == positions.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) && Set(positions).count == positions.count)
        let inserted = document.object.events.first { $0.type == "BlockInserted" && $0.data["text"] == "c" }!
        #expect(inserted.data.objectValue?.keys.sorted() == ["blockId", "kind", "position", "text", "userId"])
    }

    @Test("generated block ids are deterministic, and never one a block or an undo entry still uses, even within one millisecond")
    func generatedIds() {
        func history() -> [String] {
            var document = DocumentHarness()
            document.run("join", ["userId": "u1", "userName": "Ann"])
            var ids: [String] = []
            for step in 0..<30 {
                let state = document.blocks
                let referenced = Set(state.blocks.map(\.blockId) + state.editors.values.flatMap { $0.undo.map(\.blockId) })
                ids.append(document.insert("block \(step)"))
                #expect(!referenced.contains(ids.last!) && ids.last!.hasPrefix("Tvcokgi-"), "\(ids.last!)")
                if step % 3 == 0 { document.run("deleteBlock", ["userId": "u1", "blockId": .string(ids.last!)]) }
                if step % 5 == 0 { document.run("undo", ["userId": "u1"]) }
            }
            return ids
        }
        let ids = history()
        #expect(ids == history())
    }

    @Test("updateBlock records the previous text, moveBlock the previous position, deleteBlock clears cursors on the block")
    func updateMoveDelete() {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        document.run("join", ["userId": "u2", "userName": "Bob"])
        let a = document.insert("a")
        let b = document.insert("b")
        let c = document.insert("c")
        let updated = document.run("updateBlock", ["userId": "u2", "blockId": .string(b), "text": "B"])
        #expect(updated.first?.data == ["userId": "u2", "blockId": .string(b), "text": "B", "previousText": "b"])
        #expect(document.texts == ["a", "B", "c"])

        let positionOfC = document.blocks.blocks[2].position
        let moved = document.run("moveBlock", ["userId": "u1", "blockId": .string(c), "after": .string(a)])
        #expect(moved.first?.type == "BlockMoved" && moved.first?.data["previousPosition"] == .string(positionOfC))
        #expect(document.texts == ["a", "c", "B"])
        document.run("moveBlock", ["userId": "u1", "blockId": .string(a)])
        #expect(document.texts == ["c", "B", "a"], "no neighbour given: to the end")
        document.run("moveBlock", ["userId": "u1", "blockId": .string(a), "before": .string(c)])
        #expect(document.texts == ["a", "c", "B"])
        document.run("moveBlock", ["userId": "u1", "blockId": .string(a), "after": .string(c), "before": .string(b)])
        #expect(document.texts == ["c", "a", "B"])

        document.run("cursor", ["userId": "u2", "blockId": .string(b), "offset": 1])
        document.run("cursor", ["userId": "u1", "blockId": .string(a), "offset": 0])
        let deleted = document.run("deleteBlock", ["userId": "u1", "blockId": .string(b)])
        #expect(deleted.first == NewEvent(type: "BlockDeleted", data: ["userId": "u1", "blockId": .string(b)]))
        #expect(document.texts == ["c", "a"])
        #expect(document.presence.users["u2"]?.cursor == nil && document.presence.users["u1"]?.cursor?.blockId == a)
    }

    @Test("every refusal has its code, its status and the facts that explain it")
    func refusals() throws {
        var document = DocumentHarness()
        let notJoined: [(String, JSONValue)] = [
            ("leave", ["userId": "u9"]), ("cursor", ["userId": "u9", "blockId": "x", "offset": 0]), ("insertBlock", ["userId": "u9", "text": "t"]),
            ("updateBlock", ["userId": "u9", "blockId": "x", "text": "t"]), ("deleteBlock", ["userId": "u9", "blockId": "x"]),
            ("moveBlock", ["userId": "u9", "blockId": "x"]), ("undo", ["userId": "u9"]),
        ]
        for (name, body) in notJoined {
            let refused = document.refusal(name, body)
            let rejection = try #require(refused)
            #expect(rejection.code == "USER_NOT_JOINED" && rejection.status == 409 && rejection.facts == ["userId": "u9"], "\(name)")
        }

        document.run("join", ["userId": "u1", "userName": "Ann"])
        let a = document.insert("a", ["blockId": "A"])
        let b = document.insert("b", ["blockId": "B"])
        let c = document.insert("c", ["blockId": "C"])
        let missing: [(String, JSONValue)] = [
            ("cursor", ["userId": "u1", "blockId": "nope", "offset": 0]), ("updateBlock", ["userId": "u1", "blockId": "nope", "text": "t"]),
            ("deleteBlock", ["userId": "u1", "blockId": "nope"]), ("moveBlock", ["userId": "u1", "blockId": "nope"]),
        ]
        for (name, body) in missing {
            let refused = document.refusal(name, body)
            let rejection = try #require(refused)
            #expect(rejection.code == "BLOCK_NOT_FOUND" && rejection.status == 404 && rejection.facts == ["blockId": "nope"], "\(name)")
        }

        let duplicate = document.refusal("insertBlock", ["userId": "u1", "blockId": .string(b), "text": "again"])
        let exists = try #require(duplicate)
        #expect(exists.code == "BLOCK_EXISTS" && exists.status == 409 && exists.facts["blockId"] == .string(b) && exists.facts["position"] != nil)

        let positions: [(String, JSONValue, [String: JSONValue])] = [
            ("insertBlock", ["userId": "u1", "text": "t", "after": "nope"], ["after": "nope", "reason": "unknown"]),
            ("insertBlock", ["userId": "u1", "text": "t", "before": "nope"], ["before": "nope", "reason": "unknown"]),
            (
                "insertBlock", ["userId": "u1", "text": "t", "after": .string(a), "before": .string(c)],
                ["after": "A", "before": "C", "next": "B", "reason": "notNeighbours"]
            ),
            (
                "insertBlock", ["userId": "u1", "text": "t", "after": .string(c), "before": .string(a)],
                ["after": "C", "before": "A", "next": nil, "reason": "notNeighbours"]
            ),
            ("moveBlock", ["userId": "u1", "blockId": .string(b), "after": "nope"], ["after": "nope", "reason": "unknown"]),
            ("moveBlock", ["userId": "u1", "blockId": .string(b), "after": .string(b)], ["blockId": "B", "reason": "self"]),
            ("moveBlock", ["userId": "u1", "blockId": .string(b), "before": .string(b)], ["blockId": "B", "reason": "self"]),
            (
                "moveBlock", ["userId": "u1", "blockId": .string(a), "after": .string(b), "before": .string(b)],
                ["after": "B", "before": "B", "next": "C", "reason": "notNeighbours"]
            ),
        ]
        for (name, body, facts) in positions {
            let refused = document.refusal(name, body)
            let rejection = try #require(refused)
            #expect(rejection.code == "INVALID_POSITION" && rejection.status == 409 && rejection.facts == facts, "\(body.jsonText)")
        }
        // Moving B between its own neighbours is fine: the block itself is left out of the order.
        document.run("moveBlock", ["userId": "u1", "blockId": .string(b), "after": .string(a), "before": .string(c)])

        document.run("join", ["userId": "u2", "userName": "Bob"])
        let undo = document.refusal("undo", ["userId": "u2"])
        let empty = try #require(undo)
        #expect(empty.code == "NOTHING_TO_UNDO" && empty.status == 409 && empty.facts == ["userId": "u2", "skipped": 0])

        let invalid: [(String, JSONValue, String)] = [
            ("join", ["userId": "", "userName": "Ann"], "/userId"),
            ("join", ["userId": .string(String(repeating: "u", count: 129)), "userName": "Ann"], "/userId"),
            ("join", ["userId": "u3", "userName": .string(String(repeating: "é", count: 201))], "/userName"),
            ("join", ["userId": "u3"], "/userName"),
            ("cursor", ["userId": "u1", "blockId": .string(a), "offset": -1], "/offset"),
            ("insertBlock", ["userId": "u1", "text": .string(String(repeating: "x", count: 100_001))], "/text"),
            ("insertBlock", ["userId": "u1", "text": "t", "blockId": ""], "/blockId"),
            ("insertBlock", ["userId": "u1", "text": "t", "kind": "table"], "/kind"),
            ("updateBlock", ["userId": "u1", "blockId": .string(a), "text": .string(String(repeating: "x", count: 100_001))], "/text"),
        ]
        for (name, body, pointer) in invalid {
            let refused = document.refusal(name, body)
            let rejection = try #require(refused)
            #expect(
                rejection.code == "INVALID_COMMAND" && rejection.status == 422 && rejection.facts["pointer"] == .string(pointer), "\(name) \(pointer)"
            )
        }
        // The limits count code points, as the schema does: 100,000 two-byte characters fit.
        document.insert(String(repeating: "é", count: 100_000))
    }

    @Test("200 random inserts at random places keep a strict total order within 256 base-62 digits", arguments: 0..<5)
    func randomInserts(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        for step in 0..<200 {
            let blocks = document.blocks.blocks
            let index = Int.random(in: 0...blocks.count, using: &generator)
            var body: [String: JSONValue] = [:]
            switch Int.random(in: 0..<3, using: &generator) {
            case 0 where index < blocks.count: body["before"] = .string(blocks[index].blockId)
            case 1 where index > 0: body["after"] = .string(blocks[index - 1].blockId)
            default:
                if index > 0 { body["after"] = .string(blocks[index - 1].blockId) }
                if index < blocks.count { body["before"] = .string(blocks[index].blockId) }
            }
            document.insert("\(step)", body)
            let inserted = document.blocks.blocks
            #expect(inserted.count == blocks.count + 1)
            #expect(inserted[index].text == "\(step)", "the block lands exactly where it was put")
        }
        expectWellOrdered(document.blocks.blocks.map(\.position))
    }

    @Test("inserts always at the same spot, at the start or at the end grow positions slowly")
    func crowdedInserts() {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        let first = document.insert("first")
        let last = document.insert("last")
        for step in 0..<200 {
            document.insert("after first \(step)", ["after": .string(first)])
            document.insert("before last \(step)", ["before": .string(last)])
            document.insert("start \(step)", ["before": .string(document.blocks.blocks[0].blockId)])
            document.insert("end \(step)")
        }
        let positions = document.blocks.blocks.map(\.position)
        expectWellOrdered(positions)
        #expect(positions.map(\.utf8.count).max()! <= 45, "about one digit per 5 inserts at one spot, per 61 at the ends")
    }

    private func expectWellOrdered(_ positions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for (lower, upper) in zip(positions, positions.dropFirst()) {
            #expect(lower.utf8.lexicographicallyPrecedes(upper.utf8), "\(lower) < \(upper)", sourceLocation: sourceLocation)
        }
        for position in positions {
            #expect((1...256).contains(position.utf8.count) && position.last != "0", sourceLocation: sourceLocation)
            #expect(position.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("A"..."Z").contains($0) || ("a"..."z").contains($0) })
        }
    }

    @Test("undo of each kind of operation restores the blocks view exactly", arguments: ["insertBlock", "updateBlock", "deleteBlock", "moveBlock"])
    func undoRestores(operation: String) throws {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        document.run("join", ["userId": "u2", "userName": "Bob"])
        let a = document.insert("a", by: "u2", ["kind": "heading"])
        let b = document.insert("b", by: "u2", ["kind": "code"])
        document.insert("c", by: "u2")
        let before = document.object.view("blocks")
        let body: JSONValue =
            switch operation {
            case "insertBlock": ["userId": "u1", "text": "new", "after": .string(a)]
            case "updateBlock": ["userId": "u1", "blockId": .string(b), "text": "changed"]
            case "deleteBlock": ["userId": "u1", "blockId": .string(b)]
            default: ["userId": "u1", "blockId": .string(a), "after": .string(b)]
            }
        document.run(operation, body)
        let done = document.object.events.last { $0.type.hasPrefix("Block") }!
        #expect(document.object.view("blocks") != before)
        let undone = document.run("undo", ["userId": "u1"])
        #expect(undone.first?.data["undoes"] == .number(Double(done.seq)))
        #expect(document.object.view("blocks") == before, "blocks, kinds, texts, positions and undo stacks all as they were")
        let refusal = document.refusal("undo", ["userId": "u1"])
        #expect(refusal?.code == "NOTHING_TO_UNDO", "an undo is not itself undone")
    }

    @Test("undo walks back through the user's own operations, most recent first")
    func undoChain() throws {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        var after = [document.object.view("blocks")]
        let a = document.insert("a")
        after.append(document.object.view("blocks"))
        let b = document.insert("b")
        after.append(document.object.view("blocks"))
        document.run("updateBlock", ["userId": "u1", "blockId": .string(a), "text": "a2"])
        after.append(document.object.view("blocks"))
        document.run("moveBlock", ["userId": "u1", "blockId": .string(a), "after": .string(b)])
        after.append(document.object.view("blocks"))
        document.run("deleteBlock", ["userId": "u1", "blockId": .string(b)])
        for expected in after.reversed() {
            document.run("undo", ["userId": "u1"])
            #expect(document.object.view("blocks") == expected)
        }
        #expect(document.texts.isEmpty)
        let refusal = document.refusal("undo", ["userId": "u1"])
        #expect(refusal?.code == "NOTHING_TO_UNDO")
    }

    @Test("undo skips operations that no longer apply, and puts a block back next to one that took its place")
    func undoAroundOthers() throws {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        document.run("join", ["userId": "u2", "userName": "Bob"])
        let a = document.insert("a")
        document.insert("b")
        document.run("updateBlock", ["userId": "u1", "blockId": .string(a), "text": "a2"])
        document.run("deleteBlock", ["userId": "u2", "blockId": .string(a)])
        document.run("undo", ["userId": "u1"])
        #expect(document.texts.isEmpty, "the update of the deleted a was skipped; b's insert was undone")
        let refused = document.refusal("undo", ["userId": "u1"])
        let skipped = try #require(refused)
        #expect(skipped.code == "NOTHING_TO_UNDO" && skipped.facts["skipped"] == 1, "a's insert no longer applies")
        document.run("undo", ["userId": "u2"])
        #expect(document.texts == ["a2"], "u2's delete is undone with a's text as it was")

        // l, m, r; u1 deletes m; u2 inserts n between l and r, at m's old position; u1's undo
        // puts m back right after n.
        var shared = DocumentHarness()
        shared.run("join", ["userId": "u1", "userName": "Ann"])
        shared.run("join", ["userId": "u2", "userName": "Bob"])
        let l = shared.insert("l", by: "u2")
        let r = shared.insert("r", by: "u2")
        let m = shared.insert("m", by: "u2", ["after": .string(l)])
        let positionOfM = shared.blocks.blocks[1].position
        shared.run("deleteBlock", ["userId": "u1", "blockId": .string(m)])
        shared.insert("n", by: "u2", ["after": .string(l), "before": .string(r)])
        #expect(shared.blocks.blocks[1].position == positionOfM)
        shared.run("undo", ["userId": "u1"])
        #expect(shared.texts == ["l", "n", "m", "r"])
        expectWellOrdered(shared.blocks.blocks.map(\.position))

        // Leaving forgets what one could undo.
        shared.run("leave", ["userId": "u2"])
        shared.run("join", ["userId": "u2", "userName": "Bob"])
        let refusal = shared.refusal("undo", ["userId": "u2"])
        #expect(refusal?.code == "NOTHING_TO_UNDO")
    }

    @Test("undo stacks keep the latest 100 operations")
    func undoDepth() {
        var document = DocumentHarness()
        document.run("join", ["userId": "u1", "userName": "Ann"])
        for step in 0..<(BlocksView.undoDepthMax + 20) { document.insert("\(step)") }
        #expect(document.blocks.editors["u1"]?.undo.count == BlocksView.undoDepthMax)
        for _ in 0..<BlocksView.undoDepthMax { document.run("undo", ["userId": "u1"]) }
        #expect(document.texts == (0..<20).map { "\($0)" })
        let refusal = document.refusal("undo", ["userId": "u1"])
        #expect(refusal?.code == "NOTHING_TO_UNDO")
    }

    @Test("the idle timer drops only users not seen for the idle time")
    func idleTimer() throws {
        var document = DocumentHarness()
        let start = document.object.now
        document.run("join", ["userId": "u1", "userName": "Ann"])
        document.run("join", ["userId": "u2", "userName": "Bob"])
        document.object.advance(to: start + 200_000)
        document.insert("typing", by: "u2")
        document.object.advance(to: start + 299_999)
        #expect(document.presence.users.keys.sorted() == ["u1", "u2"])
        document.object.advance(to: start + 300_000)
        #expect(document.presence.users.keys.sorted() == ["u2"])
        #expect(document.blocks.editors.keys.sorted() == ["u2"])
        #expect(document.object.events.suffix(2).map(\.type) == ["TimerFired", "Left"])
        #expect(document.object.events.last?.data == ["userId": "u1", "reason": "idle"])
        document.object.advance(to: start + 499_999)
        #expect(document.presence.users["u2"] != nil)
        document.object.advance(to: start + 500_000)
        #expect(document.presence.users.isEmpty && document.object.timers.isEmpty)

        // The handler itself: idle users leave, users seen since get their timer set again,
        // absent users and other timers are ignored.
        let handler = try #require(BundledTypes.document.timerHandler)
        let presence = try JSONValueDecoder().decode(
            PresenceView.State.self, from: ["users": ["idle": ["userName": "I", "lastSeen": 1_000], "busy": ["userName": "B", "lastSeen": 250_000]]])
        let now = DecisionContext(nowMilliseconds: 301_000)
        #expect(
            handler.fire(timerId: "idle:idle", payload: ["userId": "idle"], state: presence, context: now) == [
                NewEvent(type: "Left", data: ["userId": "idle", "reason": "idle"])
            ])
        #expect(
            handler.fire(timerId: "idle:busy", payload: ["userId": "busy"], state: presence, context: now) == [
                .setTimer(id: "idle:busy", dueAt: 550_000, payload: ["userId": "busy"])
            ])
        #expect(handler.fire(timerId: "idle:gone", payload: ["userId": "gone"], state: presence, context: now).isEmpty)
        #expect(handler.fire(timerId: "other", payload: ["userId": "idle"], state: presence, context: now).isEmpty)
    }

    @Test("the idle time is configurable; leaving cancels the timer")
    func configurableIdle() {
        var document = DocumentHarness(idleMilliseconds: 1_000)
        let start = document.object.now
        let joined = document.run("join", ["userId": "u1", "userName": "Ann"])
        #expect(joined.last == .setTimer(id: "idle:u1", dueAt: start + 1_000, payload: ["userId": "u1"]))
        document.run("join", ["userId": "u2", "userName": "Bob"])
        document.run("leave", ["userId": "u2"])
        #expect(document.object.timers.keys.sorted() == ["idle:u1"])
        document.object.advance(to: start + 1_000)
        #expect(document.presence.users.isEmpty)
        #expect(
            document.object.events.filter { $0.type == "Left" }.map(\.data) == [
                ["userId": "u2", "reason": "left"], ["userId": "u1", "reason": "idle"],
            ])
    }

    @Test("folding a history at once equals folding it in pieces, bit for bit", arguments: 0..<20)
    func foldInPieces(seed: UInt64) throws {
        let document = randomHistory(seed: seed)
        var generator = SplitMix64(seed: seed ^ 0xF01D)
        for view in BundledTypes.document.views {
            let whole = try view.materialize(document.object.events)
            #expect(whole.document.jsonText == document.object.view(view.name).document.jsonText)
            var pieces: MaterializedView? = nil
            var start = 0
            while start < document.object.events.count {
                let end = min(document.object.events.count, start + Int.random(in: 1...40, using: &generator))
                pieces = try view.materialize(Array(document.object.events[start..<end]), from: pieces)
                start = end
            }
            #expect(pieces?.document.jsonText == whole.document.jsonText, "\(view.name)")
        }
        #expect(randomHistory(seed: seed).object.events == document.object.events, "the same commands decide the same events")
    }

    @Test("every event the deciders and the idle timer emit conforms to Schemas/document.schema.json")
    func emittedEventsConform() throws {
        let schema = try SchemaSubsetValidator(objectType: "document")
        var types: Set<String> = []
        var undone: Set<String> = []
        for seed in 0..<10 as Range<UInt64> {
            for event in randomHistory(seed: seed).object.events {
                types.insert(event.type)
                if event.data["undoes"] != nil { undone.insert(event.type) }
                if event.type.hasPrefix("Timer") {
                    #expect(event.data["timerId"]?.stringValue?.hasPrefix("idle:") == true)
                    if event.type == "TimerSet" {
                        #expect(event.data["dueAt"]?.integerValue != nil && event.data["payload"]?["userId"]?.stringValue != nil)
                    }
                    continue
                }
                let violations = schema.violations(type: event.type, data: event.data)
                #expect(violations.isEmpty, "\(event.type) \(event.data.jsonText): \(violations)")
            }
        }
        #expect(
            types == [
                "Joined", "Left", "CursorMoved", "BlockInserted", "BlockUpdated", "BlockDeleted", "BlockMoved", "TimerSet", "TimerCancelled",
                "TimerFired",
            ])
        #expect(undone == ["BlockInserted", "BlockUpdated", "BlockDeleted", "BlockMoved"])
        #expect(
            schema.violations(type: "BlockInserted", data: ["userId": "u", "blockId": "b", "position": "V0!", "text": "", "extra": 1]).count == 2,
            "the stand-in does check")
    }

    /// A seeded random history of three users: joins, leaves, cursors, every block operation,
    /// undos (refusals included) and idle timers firing as time passes.
    private func randomHistory(seed: UInt64) -> DocumentHarness {
        var generator = SplitMix64(seed: seed)
        var document = DocumentHarness(idleMilliseconds: 60_000)
        for step in 0..<300 {
            let userId = JSONValue.string("u\(Int.random(in: 1...3, using: &generator))")
            let blocks = document.blocks.blocks
            func someBlock() -> JSONValue {
                blocks.isEmpty || Int.random(in: 0..<10, using: &generator) == 0
                    ? "missing" : .string(blocks.randomElement(using: &generator)!.blockId)
            }
            switch Int.random(in: 0..<20, using: &generator) {
            case 0: document.object.run("join", ["userId": userId, "userName": .string("user \(step)")])
            case 1: document.object.run("leave", ["userId": userId])
            case 2:
                document.object.run(
                    "cursor", ["userId": userId, "blockId": someBlock(), "offset": .number(Double(Int.random(in: 0...9, using: &generator)))])
            case 3...6:
                let kind = ["paragraph", "heading", "list", "code", "quote"].randomElement(using: &generator)!
                var body: [String: JSONValue] = ["userId": userId, "text": .string("text \(step)"), "kind": .string(kind)]
                if Bool.random(using: &generator) { body["after"] = someBlock() }
                document.object.run("insertBlock", .object(body))
            case 7...9: document.object.run("updateBlock", ["userId": userId, "blockId": someBlock(), "text": .string("edit \(step)")])
            case 10, 11: document.object.run("deleteBlock", ["userId": userId, "blockId": someBlock()])
            case 12, 13: document.object.run("moveBlock", ["userId": userId, "blockId": someBlock(), "before": someBlock()])
            case 14...16: document.object.run("undo", ["userId": userId])
            default: document.object.advance(to: document.object.now + Int64(Int.random(in: 1...30_000, using: &generator)))
            }
            if step % 50 == 0 {
                for user in ["u1", "u2", "u3"] { document.object.run("join", ["userId": .string(user), "userName": .string(user)]) }
            }
        }
        return document
    }
}
