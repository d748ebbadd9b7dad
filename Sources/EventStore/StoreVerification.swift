import EventModel

/// What a whole verification found: every object branch's views and snapshots (of one type,
/// or a sample, when asked) and, for a whole-store check, every cross-object view.
public struct StoreVerification: Sendable, Equatable {
    /// The object branches' check.
    public var objects: VerifySummary
    /// The cross-object views' check; nil when only a type or a sample was checked.
    public var logViews: LogViewVerifySummary?

    /// Whether nothing disagrees.
    public var isClean: Bool { objects.findings.isEmpty && (logViews?.findings.isEmpty ?? true) }

    /// Every disagreement as `evtool verify` prints it, one JSON object each:
    /// `{"object", "branch", "subject", "problem"}` for an object branch, then `{"view",
    /// "subject", "problem"}` for a cross-object view.
    public var findingDocuments: [JSONValue] {
        objects.findings.map { finding in
            .object([
                "object": .string(finding.stream.object.description), "branch": .string(finding.stream.branch.name),
                "subject": .string(finding.subject), "problem": .string(finding.problem),
            ])
        } + (logViews?.findings ?? []).map { finding in
            .object(["view": .string(finding.view), "subject": .string(finding.subject), "problem": .string(finding.problem)])
        }
    }

    /// The counts and findings as one JSON object: `{"objects": {"checked", "views",
    /// "snapshots", "rows", "events"}, "logViews": {"views", "snapshots", "rows", "events",
    /// "stalePlaces"} or null, "findings": [...]}`.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "objects": .object([
                "checked": .number(Double(objects.objects)), "views": .number(Double(objects.views)), "snapshots": .number(Double(objects.snapshots)),
                "rows": .number(Double(objects.rows)), "events": .number(Double(objects.events)),
            ]),
            "findings": .array(findingDocuments),
        ]
        if let logViews {
            members["logViews"] = .object([
                "views": .number(Double(logViews.views)), "snapshots": .number(Double(logViews.snapshots)), "rows": .number(Double(logViews.rows)),
                "events": .number(Double(logViews.events)), "stalePlaces": .number(Double(logViews.stalePlaces)),
            ])
        } else {
            members["logViews"] = .null
        }
        return .object(members)
    }
}

extension EventStore {
    /// Checks every object branch's views and snapshots (only `type`'s, or a random `sample`,
    /// when given) and, when neither is given, every cross-object view: what `evtool verify`
    /// does, on a thread of its own so a server keeps serving meanwhile. Each object branch is
    /// read in one read transaction, so appends that land meanwhile are no disagreement.
    /// `progress` hears (object branches checked, their total) after each one.
    /// - Throws: what ``verify(type:sample:progress:)`` and ``verifyLogViews(progress:)`` throw.
    public func verifyStore(
        type: String? = nil, sample: Int? = nil, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws(EventStoreError) -> StoreVerification {
        try await BlockingThread.run { () -> Result<StoreVerification, EventStoreError> in
            do throws(EventStoreError) {
                let objects = try self.verify(type: type, sample: sample, progress: progress)
                let logViews = type == nil && sample == nil ? try self.verifyLogViews() : nil
                return .success(StoreVerification(objects: objects, logViews: logViews))
            } catch {
                return .failure(error)
            }
        }.get()
    }
}
