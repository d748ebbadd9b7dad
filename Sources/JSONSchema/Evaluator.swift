import EventModel

/// What the keywords applied to one instance location evaluated, which is what
/// `unevaluatedProperties` and `unevaluatedItems` read (draft 2020-12 §11). Collected only when
/// the schema has one of those keywords.
struct Annotations {
    /// Members evaluated by `properties`, `patternProperties`, `additionalProperties` and
    /// `unevaluatedProperties`.
    var properties: Set<String> = []
    /// Elements before this index were evaluated by `prefixItems`.
    var itemsPrefix = 0
    /// Every element was evaluated (`items` or `unevaluatedItems` applied).
    var allItems = false
    /// Elements that matched `contains`.
    var containedItems: Set<Int> = []

    mutating func merge(_ other: Annotations) {
        properties.formUnion(other.properties)
        itemsPrefix = Swift.max(itemsPrefix, other.itemsPrefix)
        allItems = allItems || other.allItems
        containedItems.formUnion(other.containedItems)
    }

    func isItemEvaluated(_ index: Int) -> Bool {
        allItems || index < itemsPrefix || containedItems.contains(index)
    }
}

/// One validation of one instance: walks the compiled graph and writes down violations with
/// the instance path where each happened.
///
/// Subschemas whose failures do not make the instance invalid (`not`, `if`, the branches of
/// `anyOf` and `oneOf`, `contains`) are evaluated quietly: nothing is recorded and each stops
/// at its first failure. Failures of the branches of a failed `anyOf` or `oneOf` are then
/// collected once more, to summarize them in one violation.
struct Evaluator {
    /// How many subschemas may apply in place to one instance location in a row (`$ref` to
    /// `$ref`, `allOf` inside `allOf`, ...) before it is taken as a reference cycle that never
    /// moves into the instance and would otherwise never end.
    static let inPlaceDepthMax = 128

    let graph: SchemaGraph
    private(set) var violations: [PendingViolation] = []
    /// The instance location being evaluated.
    private(set) var path: [InstancePathStep] = []
    /// The schema resources entered so far, outermost first: the dynamic scope of `$dynamicRef`.
    private(set) var dynamicScope: [Int] = []
    /// Whether failures are written down (false while evaluating quietly).
    private(set) var recording = true
    private var inPlaceDepth = 0
    /// Set when ``inPlaceDepthMax`` was reached; the instance is then invalid.
    private(set) var exceededDepth = false

    init(graph: SchemaGraph) { self.graph = graph }

    /// Applies node `index` to `instance`, at the current location; whether it holds.
    mutating func evaluate(_ index: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        if index == SchemaGraph.alwaysValid { return true }
        if index == SchemaGraph.neverValid {
            fail("false", "no value is allowed here (the schema is false), got \(instance.preview)")
            return false
        }
        let node = graph.nodes[index]
        let entersResource = graph.tracksDynamicScope && dynamicScope.last != node.resource
        if entersResource { dynamicScope.append(node.resource) }
        defer { if entersResource { dynamicScope.removeLast() } }
        var valid = true
        for keyword in node.keywords {
            guard apply(keyword, to: instance, &annotations) else {
                if !recording { return false }
                valid = false
                continue
            }
        }
        return valid
    }

    private mutating func apply(_ keyword: Keyword, to instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        switch keyword {
        case .reference(let node): inPlace(node, instance, &annotations)
        case .dynamicReference(let anchor, let fallback): dynamicReference(anchor, fallback, instance, &annotations)
        case .type(let types): checkType(types, instance)
        case .enumeration(let allowed): checkEnumeration(allowed, instance)
        case .constant(let expected): checkConstant(expected, instance)
        case .multipleOf(let divisor): checkMultipleOf(divisor, instance)
        case .maximum(let limit): checkBound(instance, "maximum", "<=", limit) { $0 <= limit }
        case .exclusiveMaximum(let limit): checkBound(instance, "exclusiveMaximum", "<", limit) { $0 < limit }
        case .minimum(let limit): checkBound(instance, "minimum", ">=", limit) { $0 >= limit }
        case .exclusiveMinimum(let limit): checkBound(instance, "exclusiveMinimum", ">", limit) { $0 > limit }
        case .maxLength(let limit): checkLength(instance, "maxLength", limit, atMost: true)
        case .minLength(let limit): checkLength(instance, "minLength", limit, atMost: false)
        case .pattern(let pattern): checkPattern(pattern, instance)
        case .maxItems(let limit): checkItemCount(instance, "maxItems", limit, atMost: true)
        case .minItems(let limit): checkItemCount(instance, "minItems", limit, atMost: false)
        case .uniqueItems: checkUniqueItems(instance)
        case .prefixItems(let nodes): applyPrefixItems(nodes, instance, &annotations)
        case .items(let node, let firstIndex): applyItems(node, from: firstIndex, instance, &annotations)
        case .contains(let node, let minimum, let maximum): applyContains(node, minimum, maximum, instance, &annotations)
        case .unevaluatedItems(let node): applyUnevaluatedItems(node, instance, &annotations)
        case .maxProperties(let limit): checkPropertyCount(instance, "maxProperties", limit, atMost: true)
        case .minProperties(let limit): checkPropertyCount(instance, "minProperties", limit, atMost: false)
        case .required(let names): checkRequired(names, instance)
        case .dependentRequired(let dependencies): checkDependentRequired(dependencies, instance)
        case .properties(let entries): applyProperties(entries, instance, &annotations)
        case .patternProperties(let entries): applyPatternProperties(entries, instance, &annotations)
        case .additionalProperties(let node, let named, let patterns):
            applyAdditionalProperties(node, named, patterns, instance, &annotations)
        case .propertyNames(let node): applyPropertyNames(node, instance)
        case .dependentSchemas(let entries): applyDependentSchemas(entries, instance, &annotations)
        case .unevaluatedProperties(let node): applyUnevaluatedProperties(node, instance, &annotations)
        case .allOf(let nodes): applyAllOf(nodes, instance, &annotations)
        case .anyOf(let nodes): applyAnyOf(nodes, instance, &annotations)
        case .oneOf(let nodes): applyOneOf(nodes, instance, &annotations)
        case .not(let node): applyNot(node, instance)
        case .conditional(let condition, let then, let otherwise):
            applyConditional(condition, then, otherwise, instance, &annotations)
        }
    }

    // MARK: - Moving through the instance

    /// Applies `node` to the same instance location (`$ref`, `allOf`, ...) and adds what it
    /// evaluated to `annotations`. The subschema starts with none: it does not see what its
    /// siblings evaluated.
    mutating func inPlace(_ node: Int, _ instance: JSONValue, _ annotations: inout Annotations) -> Bool {
        // Once past the limit, everything still pending fails at once: a cycle through
        // `anyOf` would otherwise retry each alternative at each level, exponentially.
        guard !exceededDepth, inPlaceDepth < Self.inPlaceDepthMax else {
            exceededDepth = true
            return false
        }
        inPlaceDepth += 1
        defer { inPlaceDepth -= 1 }
        guard graph.tracksAnnotations else { return evaluate(node, instance, &annotations) }
        var own = Annotations()
        let valid = evaluate(node, instance, &own)
        annotations.merge(own)
        return valid
    }

    /// Applies `node` to `child`, the member or element at `step`. A `false` schema there is
    /// reported as `keyword` forbidding the member or element, with `reason` if given.
    mutating func descend(
        _ node: Int, _ child: JSONValue, at step: InstancePathStep, keyword: String, reason: @autoclosure () -> String = ""
    ) -> Bool {
        if node == SchemaGraph.neverValid {
            if recording {
                let what =
                    switch step {
                    case .member(let name): "property \"\(name)\" is not allowed"
                    case .index(let index): "item \(index) is not allowed"
                    }
                let why = reason()
                violations.append(
                    PendingViolation(path: path + [step], keyword: keyword, message: why.isEmpty ? what : "\(what) (\(why))"))
            }
            return false
        }
        let outerDepth = inPlaceDepth
        inPlaceDepth = 0
        path.append(step)
        var childAnnotations = Annotations()
        let valid = evaluate(node, child, &childAnnotations)
        path.removeLast()
        inPlaceDepth = outerDepth
        return valid
    }

    /// Runs `body` with recording off; nothing it fails is written down.
    mutating func quietly<Result>(_ body: (inout Evaluator) -> Result) -> Result {
        let outer = recording
        recording = false
        defer { recording = outer }
        return body(&self)
    }

    // MARK: - Recording

    /// Records a violation of `keyword` at the current location (if recording).
    mutating func fail(_ keyword: String, _ message: @autoclosure () -> String) {
        guard recording else { return }
        violations.append(PendingViolation(path: path, keyword: keyword, message: message()))
    }

    /// Records a violation of `keyword` at the member or element `step` of the current location.
    mutating func fail(at step: InstancePathStep, _ keyword: String, _ message: @autoclosure () -> String) {
        guard recording else { return }
        violations.append(PendingViolation(path: path + [step], keyword: keyword, message: message()))
    }

    /// Removes the violations recorded since `mark` (a former `violations.count`) and returns them.
    mutating func takeViolations(since mark: Int) -> [PendingViolation] {
        let taken = Array(violations[mark...])
        violations.removeSubrange(mark...)
        return taken
    }
}

extension JSONValue {
    /// The value as compact JSON, cut at 60 characters: for messages.
    var preview: String {
        let text = jsonText
        guard text.count > 60 else { return text }
        return String(text.prefix(57)) + "..."
    }
}
