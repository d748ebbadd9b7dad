import EventModel

/// The keywords for arrays: counts, uniqueness, and the subschemas applied to elements
/// (`prefixItems`, `items`, `contains`, `unevaluatedItems`).
extension Evaluator {
    mutating func checkItemCount(_ instance: JSONValue, _ keyword: String, _ limit: Int, atMost: Bool) -> Bool {
        guard case .array(let elements) = instance, atMost ? elements.count > limit : elements.count < limit else { return true }
        fail(keyword, "must have at \(atMost ? "most" : "least") \(Self.counted(limit, "item")), got \(elements.count)")
        return false
    }

    /// `uniqueItems`, with JSON Schema equality (``JSONValue/isSchemaEqual(to:)``).
    mutating func checkUniqueItems(_ instance: JSONValue) -> Bool {
        guard case .array(let elements) = instance, elements.count > 1 else { return true }
        var firstIndex: [SchemaEqualityKey: Int] = [:]
        for (index, element) in elements.enumerated() {
            if let earlier = firstIndex.updateValue(index, forKey: SchemaEqualityKey(value: element)) {
                fail("uniqueItems", "must not contain duplicates; items \(earlier) and \(index) are both \(element.preview)")
                return false
            }
        }
        return true
    }

    mutating func applyPrefixItems(_ nodes: [Int], _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        guard case .array(let elements) = instance else { return true }
        var valid = true
        for index in 0..<Swift.min(nodes.count, elements.count) {
            guard descend(nodes[index], elements[index], at: .index(index), keyword: "prefixItems") else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        annotations.itemsPrefix = Swift.max(annotations.itemsPrefix, Swift.min(nodes.count, elements.count))
        return valid
    }

    /// `items`: the elements from `firstIndex` on (after the `prefixItems`).
    mutating func applyItems(_ node: Int, from firstIndex: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        guard case .array(let elements) = instance, elements.count > firstIndex else { return true }
        var valid = true
        for index in firstIndex..<elements.count {
            let allowed = descend(
                node, elements[index], at: .index(index), keyword: "items",
                reason: "the array may have at most \(firstIndex) items")
            guard allowed else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        annotations.allItems = true
        return valid
    }

    /// `contains` with its `minContains` and `maxContains`. Elements are tried quietly: one that
    /// does not match is not a violation, only the count is.
    mutating func applyContains(
        _ node: Int, _ minimum: Int, _ maximum: Int?, _ instance: JSONValue, _ annotations: inout Annotations
    ) -> Bool {
        guard case .array(let elements) = instance else { return true }
        let needsEveryMatch = graph.tracksAnnotations || maximum != nil
        var matched = 0
        quietly { evaluator in
            for (index, element) in elements.enumerated()
            where evaluator.descend(node, element, at: .index(index), keyword: "contains") {
                matched += 1
                if evaluator.graph.tracksAnnotations { annotations.containedItems.insert(index) }
                if !needsEveryMatch && matched >= minimum { return }
            }
        }
        if matched < minimum {
            fail("contains", "must contain at least \(Self.counted(minimum, "item")) matching the contains schema, found \(matched)")
            return false
        }
        if let maximum, matched > maximum {
            fail("contains", "must contain at most \(Self.counted(maximum, "item")) matching the contains schema, found \(matched)")
            return false
        }
        return true
    }

    /// `unevaluatedItems`: the elements that no adjacent keyword (nor any subschema applied in
    /// place) evaluated.
    mutating func applyUnevaluatedItems(_ node: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        guard case .array(let elements) = instance else { return true }
        var valid = true
        for index in elements.indices where !annotations.isItemEvaluated(index) {
            let allowed = descend(
                node, elements[index], at: .index(index), keyword: "unevaluatedItems",
                reason: "no prefixItems, items or contains covers it")
            guard allowed else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        annotations.allItems = true
        return valid
    }
}
