import EventModel
import LMDB

/// One branch of an object, as listed.
public struct BranchInfo: Sendable, Equatable {
    /// The branch.
    public let name: BranchName
    /// The branch it was forked from; nil for `main`.
    public let parent: BranchName?
    /// The seq of its parent it was forked at (it shares seqs 1 through this one); 0 for `main`.
    public let forkSeq: Seq
    /// Its head: its last seq, shared or its own.
    public let head: Seq
    /// When it was created, ms since the epoch.
    public let createdMilliseconds: Int64
    /// The last merge into it from each branch merged into it, by the source's name.
    public var merges: [BranchMerge] = []
}

/// The last merge of one branch into another, as the target's ``BranchInfo`` lists it.
public struct BranchMerge: Sendable, Equatable {
    /// The branch merged in.
    public let from: BranchName
    /// The source's seq the merge read up to: every event of it up to there is held.
    public let fromSeq: Seq
    /// The target's head right after the merge.
    public let head: Seq
}

extension EventStore {
    /// Forks `object` at seq `at` of its branch `parent` (nil: the parent's head) into a new
    /// branch `branch`. Nothing is copied but the timers pending at that seq, so the cost does
    /// not grow with the object's history.
    /// - Throws: ``EventStoreError/branchExists(_:)``, ``EventStoreError/branchNotFound(_:)``
    ///   for a parent that does not exist, ``EventStoreError/invalidRequest(field:reason:)``
    ///   for `main` as the name or a seq past the parent's head.
    public func createBranch(
        _ branch: BranchName, of object: ObjectKey, from parent: BranchName = .main, at: Seq? = nil
    ) async throws(EventStoreError) -> BranchInfo {
        let stream = StreamName(object: object, branch: branch)
        return try await submit { .fork(stream, parent: parent, at: at, $0) }
    }

    /// Deletes the branch `branch` of `object` (never `main`; not while it has branches of its
    /// own). Its events stay in the global log.
    /// - Throws: ``EventStoreError/branchHasChildren(_:children:)``,
    ///   ``EventStoreError/branchNotFound(_:)``, ``EventStoreError/versionConflict(stream:expected:actual:)``.
    public func deleteBranch(_ branch: BranchName, of object: ObjectKey, expectedVersion: ExpectedVersion = .any) async throws(EventStoreError) {
        try await submit { .deleteBranch(StreamName(object: object, branch: branch), expectedVersion: expectedVersion, $0) }
    }

    /// Brings into `target`, in one transaction, the events of branch `source` whose roots it
    /// does not hold (see ``MergeLedger``), with every invariant of the object type checked
    /// after each, whether it fast-forwards or replays. The outcome's `mode` is nil when there
    /// was nothing to bring.
    /// - Throws: ``EventStoreError/invariantBroken(_:)`` naming the first event that breaks one,
    ///   ``EventStoreError/versionConflict(stream:expected:actual:)`` when `target` is not at
    ///   `expectedVersion`, ``EventStoreError/branchNotFound(_:)``; nothing is written.
    public func merge(_ source: BranchName, into target: StreamName, expectedVersion: ExpectedVersion = .any) async throws(EventStoreError) -> MergeOutcome {
        if target.branch == .main, let definition = objectTypes[target.object.type.name], definition.commandsOnly {
            throw .commandsOnly(target.object, commands: definition.commands.keys.sorted())
        }
        return try await submit { .merge(into: target, expectedVersion: expectedVersion, source: source, $0) }
    }

    /// Every branch of `object` (`main` first, then by name) with its parent, fork seq, head
    /// and the last merge into it from each other branch; empty when the object has no events.
    /// Costs a point read per pair of branches.
    public func branches(of object: ObjectKey) throws(EventStoreError) -> [BranchInfo] {
        try read { transaction in
            let stored = try layout.branches(of: object, in: transaction)
            let names = Dictionary(uniqueKeysWithValues: stored.map { ($0.number, $0.name) })
            let ledger = MergeLedger(layout: layout)
            let list = try stored.map { branch in
                var info = BranchInfo(
                    name: try BranchName(branch.name), parent: try names[branch.parent].map(BranchName.init), forkSeq: branch.forkSeq,
                    head: try layout.head(of: branch.number, in: transaction),
                    createdMilliseconds: branch.createdMilliseconds)
                for source in stored where source.number != branch.number {
                    guard let record = try ledger.record(source: source.number, target: branch.number, in: transaction) else { continue }
                    info.merges.append(BranchMerge(from: try BranchName(source.name), fromSeq: record.sourceSeq, head: record.targetHead))
                }
                return info
            }
            return list.sorted { ($0.name == .main ? 0 : 1, $0.name.name) < ($1.name == .main ? 0 : 1, $1.name.name) }
        }
    }

    /// The seq up to which `stream` and `other` (two branches of one object) share their
    /// history, and the head of each.
    public func commonAncestor(of stream: StreamName, and other: StreamName) throws(EventStoreError) -> (seq: Seq, heads: (Seq, Seq)) {
        try read { transaction in
            guard let mine = try layout.streamNumber(stream.storageKey, in: transaction) else { throw EventStoreError.branchNotFound(stream) }
            guard let theirs = try layout.streamNumber(other.storageKey, in: transaction) else { throw EventStoreError.branchNotFound(other) }
            let myLineage = try layout.lineage(of: mine, in: transaction)
            let theirLineage = try layout.lineage(of: theirs, in: transaction)
            let heads = (try layout.head(of: myLineage, in: transaction), try layout.head(of: theirLineage, in: transaction))
            return (myLineage.commonAncestorSeq(with: theirLineage, heads: heads), heads)
        }
    }
}
