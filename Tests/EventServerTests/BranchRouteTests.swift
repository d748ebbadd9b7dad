import EventServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Branches over HTTP")
struct BranchRouteTests {
    static let base = "/v1/objects/inventory/sku"

    @Test("fork, use the branch with ?branch=, list, diff, merge and delete")
    func lifecycle() async throws {
        try await withServer { client, _, _ in
            _ = try await client.post("\(Self.base)/commands/restock", #"{"qty": 10}"#)
            _ = try await client.post("\(Self.base)/commands/restock", #"{"qty": 5}"#)
            let created = try await client.post("\(Self.base)/branches", #"{"name": "sale", "from": "main", "at": 1}"#)
            #expect(created.status == .created)
            #expect(created.json["forkSeq"] as? Int == 1 && created.json["parent"] as? String == "main")
            #expect(created.headers[.location] == "/v1/objects/inventory/sku/events?branch=sale")

            let reserved = try await client.post("\(Self.base)/commands/reserve?branch=sale", #"{"orderId": "o1", "qty": 4}"#)
            #expect(reserved.status == .ok)
            let events = try await client.get("\(Self.base)/events?branch=sale")
            #expect((events.json["events"] as? [[String: Any]])?.map { $0["seq"] as? Int } == [1, 2, 3])
            let view = try await client.get("\(Self.base)/views/stock?branch=sale")
            #expect((view.json["state"] as? [String: Any])?["available"] as? Int == 6)
            let mainView = try await client.get("\(Self.base)/views/stock")
            #expect((mainView.json["state"] as? [String: Any])?["available"] as? Int == 15)

            let listed = try await client.get("\(Self.base)/branches")
            let branches = try #require(listed.json["branches"] as? [[String: Any]])
            #expect(branches.map { $0["name"] as? String } == ["main", "sale"])
            #expect(branches.map { $0["head"] as? Int } == [2, 3])

            let diff = try await client.get("\(Self.base)/branches/sale/diff?against=main&view=stock")
            #expect(diff.status == .ok)
            #expect(diff.json["ancestorSeq"] as? Int == 1)
            #expect((diff.json["branchSide"] as? [String: Any])?["count"] as? Int == 2)
            #expect(((diff.json["againstSide"] as? [String: Any])?["events"] as? [[String: Any]])?.first?["type"] as? String == "Restocked")
            let patch = try #require(diff.json["patch"] as? [[String: Any]])
            #expect(patch.contains { $0["path"] as? String == "/available" && $0["value"] as? Int == 6 })

            let merged = try await client.post("\(Self.base)/branches/sale/merge", #"{"into": "main", "expectedVersion": 2}"#)
            #expect(merged.status == .ok)
            #expect(merged.json["merge"] as? String == "replayed" && merged.json["events"] as? Int == 2 && merged.json["version"] as? Int == 4)
            let again = try await client.post("\(Self.base)/branches/sale/merge", "{}")
            #expect(again.status == .ok && again.json["merge"] as? String == "up-to-date" && again.json["events"] as? Int == 0)
            let after = try await client.get("\(Self.base)/views/stock")
            #expect((after.json["state"] as? [String: Any])?["available"] as? Int == 11)
            // The listing shows the merge on its target: from sale up to its seq 3, main at 4 after it.
            let relisted = try #require(try await client.get("\(Self.base)/branches").json["branches"] as? [[String: Any]])
            let mainMerges = relisted.first { $0["name"] as? String == "main" }?["merges"] as? [[String: Any]]
            #expect(mainMerges?.map { "\($0["from"] ?? "") \($0["fromSeq"] ?? "") \($0["head"] ?? "")" } == ["sale 3 4"])
            #expect((relisted.first { $0["name"] as? String == "sale" }?["merges"] as? [[String: Any]])?.isEmpty == true)

            let deleted = try await client.execute(uri: "\(Self.base)/branches/sale", method: .delete)
            #expect(deleted.status == .noContent)
            let gone = try await client.get("\(Self.base)/events?branch=sale")
            #expect(gone.status == .notFound && gone.json["type"] as? String == "/problems/branch-not-found")
        }
    }

    @Test("bad requests name the field; conflicts are 409 with the facts")
    func refusals() async throws {
        try await withServer { client, _, _ in
            _ = try await client.post("\(Self.base)/commands/restock", #"{"qty": 1}"#)
            let cases: [(String, String, String)] = [
                (#"{"from": "main"}"#, "/name", "400"),
                (#"{"name": "x", "at": -1}"#, "/at", "400"),
                (#"{"name": "x", "color": "red"}"#, "/color", "400"),
                (#"{"name": "no spaces allowed"}"#, "/name", "400"),
                (#"{"name": "x", "at": 9}"#, "at", "400"),
            ]
            for (body, field, status) in cases {
                let response = try await client.post("\(Self.base)/branches", body)
                #expect("\(response.status.code)" == status, "\(body)")
                #expect(response.json["field"] as? String == field, "\(body): \(response.text)")
            }
            _ = try await client.post("\(Self.base)/branches", #"{"name": "x"}"#)
            let again = try await client.post("\(Self.base)/branches", #"{"name": "x"}"#)
            #expect(again.status == .conflict && again.json["type"] as? String == "/problems/branch-exists")
            let missingParent = try await client.post("\(Self.base)/branches", #"{"name": "y", "from": "nope"}"#)
            #expect(missingParent.status == .notFound && missingParent.json["branch"] as? String == "nope")
            let deleteMain = try await client.execute(uri: "\(Self.base)/branches/main", method: .delete)
            #expect(deleteMain.status == .badRequest)
            let appendMissing = try await client.post("\(Self.base)/events?branch=ghost", #"{"events": [{"type": "Restocked", "data": {"qty": 1}}]}"#)
            #expect(appendMissing.status == .notFound && appendMissing.json["type"] as? String == "/problems/branch-not-found")

            // The branch sells more than main keeps: a replayed merge is refused at that event.
            _ = try await client.post("\(Self.base)/commands/adjust?branch=x", #"{"delta": -1, "reason": "broken"}"#)
            _ = try await client.post("\(Self.base)/commands/adjust", #"{"delta": -1, "reason": "lost"}"#)
            let refused = try await client.post("\(Self.base)/branches/x/merge", #"{"into": "main"}"#)
            #expect(refused.status == .conflict)
            #expect(refused.json["type"] as? String == "/problems/invariant-broken")
            #expect(refused.json["invariant"] as? String == "available-non-negative" && refused.json["seq"] as? Int == 2)
            let stale = try await client.post("\(Self.base)/branches/x/merge", #"{"expectedVersion": 1}"#)
            #expect(stale.status == .conflict && stale.json["type"] as? String == "/problems/version-conflict")
        }
    }

    @Test("edge cases: a branch forked at 0, at= past the head and on events, asOf before the first event, diff paging, snapshots of empty branches")
    func edges() async throws {
        try await withServer { client, _, _ in
            for qty in 1...3 { _ = try await client.post("\(Self.base)/commands/restock", "{\"qty\": \(qty)}") }
            _ = try await client.post("\(Self.base)/branches", #"{"name": "blank", "at": 0}"#)

            let blankEvents = try await client.get("\(Self.base)/events?branch=blank")
            #expect(blankEvents.status == .ok && (blankEvents.json["events"] as? [Any])?.isEmpty == true && blankEvents.json["version"] as? Int == 0)
            let blankView = try await client.get("\(Self.base)/views/stock?branch=blank")
            #expect(blankView.status == .ok && blankView.json["version"] as? Int == 0)
            #expect((blankView.json["state"] as? [String: Any])?["available"] as? Int == 0)
            let blankSnapshot = try await client.post("\(Self.base)/snapshots?branch=blank", "{}")
            #expect(blankSnapshot.status == .ok && (blankSnapshot.json["views"] as? [Any])?.isEmpty == true, "\(blankSnapshot.text)")
            #expect(blankSnapshot.json["branch"] as? String == "blank" && blankSnapshot.json["version"] as? Int == 0)
            let ghostSnapshot = try await client.post("\(Self.base)/snapshots?branch=ghost", "{}")
            #expect(ghostSnapshot.status == .notFound && ghostSnapshot.json["type"] as? String == "/problems/branch-not-found")
            let mainSnapshot = try await client.post("\(Self.base)/snapshots", "{}")
            #expect(mainSnapshot.status == .created && mainSnapshot.json["version"] as? Int == 3, "\(mainSnapshot.text)")

            let pastHead = try await client.get("\(Self.base)/views/stock?at=99")
            #expect(pastHead.json["version"] as? Int == 3 && (pastHead.json["state"] as? [String: Any])?["available"] as? Int == 6)
            let beforeFirst = try await client.get("\(Self.base)/views/stock?asOf=1")
            #expect(beforeFirst.status == .ok && beforeFirst.json["version"] as? Int == 0)
            let eventsAt = try await client.get("\(Self.base)/events?at=2")
            #expect((eventsAt.json["events"] as? [[String: Any]])?.map { $0["seq"] as? Int } == [1, 2] && eventsAt.json["version"] as? Int == 3)

            let diff = try await client.get("\(Self.base)/branches/blank/diff?against=main&limit=2")
            let against = try #require(diff.json["againstSide"] as? [String: Any])
            #expect(diff.json["ancestorSeq"] as? Int == 0 && against["count"] as? Int == 3 && (against["events"] as? [Any])?.count == 2)
            #expect(against["next"] as? Int == 3)
            #expect((diff.json["branchSide"] as? [String: Any])?["next"] is NSNull)
        }
    }
}
