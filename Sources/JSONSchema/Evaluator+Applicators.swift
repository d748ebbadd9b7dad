import EventModel

/// The keywords that apply subschemas to the same instance location: references, the Boolean
/// combinations, and the conditional.
///
/// Annotations flow as draft 2020-12 §7.7.1 says: a subschema that fails contributes none.
/// Where its failure fails this schema too (`$ref`, `allOf`, `then`, ...) dropping them cannot
/// change the outcome, so they are kept, which spares a failed member a second report from
/// `unevaluatedProperties`; where it does not (`anyOf`, `oneOf`, `not`, `if`) they are dropped.
extension Evaluator {
    /// The maximum number of failed alternatives an `anyOf` or `oneOf` violation describes.
    static let summarizedAlternativesMax = 5

    /// `$dynamicRef`: the outermost resource in the dynamic scope with the anchor, else the
    /// static target.
    mutating func dynamicReference(
        _ anchor: String, _ fallback: Int, _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        var target = fallback
        for resource in dynamicScope {
            if let node = graph.resources[resource].dynamicAnchors[anchor] {
                target = node
                break
            }
        }
        return inPlace(target, instance, &annotations)
    }

    mutating func applyAllOf(_ nodes: [Int], _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        var valid = true
        for node in nodes {
            guard inPlace(node, instance, &annotations) else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        return valid
    }

    /// `anyOf`: tried quietly; when no alternative holds, one violation summarizes why each failed.
    mutating func applyAnyOf(_ nodes: [Int], _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        var anyValid = false
        for node in nodes {
            var branch = Annotations()
            if quietly({ $0.inPlace(node, instance, &branch) }) {
                anyValid = true
                annotations.merge(branch)
                // Annotations from every valid alternative count, so keep going only if read.
                if !graph.tracksAnnotations { break }
            }
        }
        if anyValid { return true }
        if recording {
            let summary = failureSummary(nodes, instance)
            fail("anyOf", "must match at least one schema in anyOf, but matches none: \(summary)")
        }
        return false
    }

    /// `oneOf`: tried quietly; exactly one alternative must hold.
    mutating func applyOneOf(_ nodes: [Int], _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        var firstMatch: (offset: Int, annotations: Annotations)?
        for (offset, node) in nodes.enumerated() {
            var branch = Annotations()
            guard quietly({ $0.inPlace(node, instance, &branch) }) else { continue }
            guard let first = firstMatch else {
                firstMatch = (offset, branch)
                continue
            }
            fail("oneOf", "must match exactly one schema in oneOf, but matches schemas \(first.offset + 1) and \(offset + 1)")
            return false
        }
        if let firstMatch {
            annotations.merge(firstMatch.annotations)
            return true
        }
        if recording {
            let summary = failureSummary(nodes, instance)
            fail("oneOf", "must match exactly one schema in oneOf, but matches none: \(summary)")
        }
        return false
    }

    mutating func applyNot(_ node: Int, _ instance: JSONValue) -> Bool {
        var ignored = Annotations()
        guard quietly({ $0.inPlace(node, instance, &ignored) }) else { return true }
        fail("not", "must not match the schema in not, got \(instance.preview)")
        return false
    }

    /// `if`/`then`/`else`: `if` is tried quietly and only picks the branch that applies.
    mutating func applyConditional(
        _ condition: Int, _ then: Int?, _ otherwise: Int?, _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        var conditionAnnotations = Annotations()
        let holds = quietly { $0.inPlace(condition, instance, &conditionAnnotations) }
        if holds { annotations.merge(conditionAnnotations) }
        guard let branch = holds ? then : otherwise else { return true }
        return inPlace(branch, instance, &annotations)
    }

    /// Why each alternative failed: its first violation, with the location when it lies deeper.
    private mutating func failureSummary(_ nodes: [Int], _ instance: JSONValue) -> String {
        var reasons: [String] = []
        for (offset, node) in nodes.prefix(Self.summarizedAlternativesMax).enumerated() {
            let mark = violations.count
            var ignored = Annotations()
            _ = inPlace(node, instance, &ignored)
            let found = takeViolations(since: mark).inDocumentOrder()
            guard let first = found.first else { continue }
            let deeper = first.path.count > path.count ? "at \(PendingViolation.pointer(first.path)): " : ""
            let more = found.count > 1 ? " (and \(found.count - 1) more)" : ""
            reasons.append("schema \(offset + 1): \(deeper)\(first.message)\(more)")
        }
        if nodes.count > Self.summarizedAlternativesMax {
            reasons.append("\(nodes.count - Self.summarizedAlternativesMax) more schemas not shown")
        }
        return reasons.joined(separator: "; ")
    }
}
