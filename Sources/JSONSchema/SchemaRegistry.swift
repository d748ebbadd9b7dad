import EventModel

/// Where a schema sits: a document and the JSON Pointer tokens from its root.
struct SchemaLocation: Hashable {
    var document: Int
    var pointer: [String]

    func appending(_ tokens: String...) -> SchemaLocation {
        SchemaLocation(document: document, pointer: pointer + tokens)
    }

    /// The pointer as RFC 6901 text, for error messages.
    var pointerText: String {
        pointer.map { "/" + PendingViolation.escapedPointerToken($0) }.joined()
    }
}

/// The identifiers of the schema documents being compiled: which location each `$id`,
/// `$anchor` and `$dynamicAnchor` names, and which base URI applies where, so references
/// resolve the way draft 2020-12 §8.2 and §9 describe.
struct SchemaRegistry {
    /// What the scope of a schema location is.
    struct Scope {
        /// The base URI that relative references inside the location resolve against.
        var base: URIReference
        /// The absolute URI of the enclosing schema resource.
        var resource: String
    }

    private(set) var documents: [JSONValue] = []
    private(set) var scopes: [SchemaLocation: Scope] = [:]
    private var resources: [String: SchemaLocation] = [:]
    private var anchors: [String: (location: SchemaLocation, isDynamic: Bool)] = [:]
    /// The `$dynamicAnchor`s of each resource, by resource URI and anchor name.
    private(set) var dynamicAnchors: [String: [String: SchemaLocation]] = [:]

    /// The keywords whose value is one subschema, an array of them, or an object of them: the
    /// places where `$id` and anchors count (they are plain data anywhere else, e.g. in `enum`).
    static let schemaKeywords: Set<String> = [
        "additionalProperties", "unevaluatedProperties", "items", "unevaluatedItems", "contains",
        "propertyNames", "not", "if", "then", "else", "contentSchema",
    ]
    static let schemaArrayKeywords: Set<String> = ["prefixItems", "allOf", "anyOf", "oneOf"]
    static let schemaMapKeywords: Set<String> = ["$defs", "properties", "patternProperties", "dependentSchemas"]

    /// Adds a document whose root has `base` as its retrieval URI, and indexes it.
    mutating func addDocument(_ root: JSONValue, base: URIReference) throws(SchemaError) -> SchemaLocation {
        documents.append(root)
        let location = SchemaLocation(document: documents.count - 1, pointer: [])
        try index(location, scope: Scope(base: base, resource: base.description), isResourceRoot: true)
        return location
    }

    /// The JSON value at `location`, nil when the pointer leads nowhere.
    func value(at location: SchemaLocation) -> JSONValue? {
        var value = documents[location.document]
        for token in location.pointer {
            switch value {
            case .object(let members):
                guard let member = members[token] else { return nil }
                value = member
            case .array(let elements):
                guard let index = Int(token), index >= 0, index < elements.count, String(index) == token else { return nil }
                value = elements[index]
            default:
                return nil
            }
        }
        return value
    }

    /// Records the identifiers at `location` and below.
    private mutating func index(_ location: SchemaLocation, scope inherited: Scope, isResourceRoot: Bool) throws(SchemaError) {
        guard case .object(let members) = value(at: location) else {
            scopes[location] = inherited
            if isResourceRoot { try register(resource: inherited.resource, at: location) }
            return
        }
        var scope = inherited
        if let id = members["$id"] {
            guard case .string(let text) = id else {
                throw SchemaError(.invalidKeyword, at: location.appending("$id").pointerText, "$id must be a string")
            }
            let uri = URIReference(parsing: text)
            guard uri.fragment?.isEmpty ?? true else {
                throw SchemaError(
                    .invalidKeyword, at: location.appending("$id").pointerText, "$id must not have a fragment, got \"\(text)\"")
            }
            scope.base = uri.resolved(against: inherited.base).withoutFragment
            scope.resource = scope.base.description
            try register(resource: scope.resource, at: location)
        } else if isResourceRoot {
            try register(resource: scope.resource, at: location)
        }
        scopes[location] = scope
        for (keyword, isDynamic) in [("$anchor", false), ("$dynamicAnchor", true)] {
            guard let anchor = members[keyword] else { continue }
            guard case .string(let name) = anchor, Self.isAnchorName(name) else {
                throw SchemaError(
                    .invalidKeyword, at: location.appending(keyword).pointerText,
                    "\(keyword) must be a name like \"node\" (a letter or '_', then letters, digits, '-', '.', '_')")
            }
            let key = scope.resource + "#" + name
            // `$anchor` and `$dynamicAnchor` may name the same schema alike.
            if let existing = anchors[key], existing.location != location {
                throw SchemaError(
                    .duplicateIdentifier, at: location.appending(keyword).pointerText,
                    "the anchor \"\(name)\" is also defined at \(existing.location.pointerText) in \(scope.resource)")
            }
            anchors[key] = (location, isDynamic || anchors[key]?.isDynamic == true)
            if isDynamic { dynamicAnchors[scope.resource, default: [:]][name] = location }
        }
        // In name order, so that which of two clashing identifiers is reported is stable.
        for (keyword, value) in members.sorted(by: { $0.key < $1.key }) {
            if Self.schemaKeywords.contains(keyword) {
                try index(location.appending(keyword), scope: scope, isResourceRoot: false)
            } else if Self.schemaArrayKeywords.contains(keyword), case .array(let elements) = value {
                for offset in elements.indices {
                    try index(location.appending(keyword, String(offset)), scope: scope, isResourceRoot: false)
                }
            } else if Self.schemaMapKeywords.contains(keyword), case .object(let entries) = value {
                for name in entries.keys.sorted() {
                    try index(location.appending(keyword, name), scope: scope, isResourceRoot: false)
                }
            }
        }
    }

    private mutating func register(resource uri: String, at location: SchemaLocation) throws(SchemaError) {
        if let existing = resources[uri], existing != location {
            throw SchemaError(
                .duplicateIdentifier, at: location.pointerText, "the $id \(uri) is also used at \(existing.pointerText)")
        }
        resources[uri] = location
    }

    /// `^[A-Za-z_][-A-Za-z0-9._]*$`, the anchor syntax of the metaschema.
    private static func isAnchorName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || first == "_" else {
            return false
        }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._".unicodeScalars.contains(scalar))
        }
    }

    /// The location `reference` (a `$ref` or `$dynamicRef` value written at `location`) names,
    /// and whether it names a `$dynamicAnchor`. Loads the built-in metaschema on first use.
    /// - Throws: ``SchemaError/Code/unresolvedReference`` when nothing has that URI.
    mutating func resolve(
        _ reference: String, from location: SchemaLocation, keyword: String
    ) throws(SchemaError) -> (location: SchemaLocation, dynamicAnchor: String?) {
        let at = location.appending(keyword).pointerText
        guard let scope = scopes[location] else { preconditionFailure("locations are indexed before they are compiled") }
        let target = URIReference(parsing: reference).resolved(against: scope.base)
        let resourceURI = target.withoutFragment.description
        if resources[resourceURI] == nil, DraftMetaschema.isBuiltIn(resourceURI) {
            for (uri, root) in DraftMetaschema.documents where resources[uri] == nil {
                _ = try addDocument(root, base: URIReference(parsing: uri))
            }
        }
        guard let resource = resources[resourceURI] else {
            let message = "\(keyword) \"\(reference)\" names \(resourceURI), which this schema does not define"
            throw SchemaError(.unresolvedReference, at: at, message + " (remote schemas are not fetched)")
        }
        let fragment = target.fragment ?? ""
        if fragment.isEmpty { return (resource, nil) }
        guard let decoded = fragment.percentDecoded else {
            throw SchemaError(.unresolvedReference, at: at, "\(keyword) \"\(reference)\" has a malformed percent escape")
        }
        guard decoded.hasPrefix("/") else {
            guard let anchor = anchors[resourceURI + "#" + decoded] else {
                throw SchemaError(
                    .unresolvedReference, at: at, "\(keyword) \"\(reference)\": no $anchor \"\(decoded)\" in \(resourceURI)")
            }
            return (anchor.location, anchor.isDynamic ? decoded : nil)
        }
        let tokens = decoded.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0.replacing("~1", with: "/").replacing("~0", with: "~"))
        }
        let pointed = SchemaLocation(document: resource.document, pointer: resource.pointer + tokens)
        guard value(at: pointed) != nil else {
            throw SchemaError(
                .unresolvedReference, at: at, "\(keyword) \"\(reference)\": nothing at \(decoded) in \(resourceURI)")
        }
        if scopes[pointed] == nil {
            // A pointer into a place that is not a subschema (inside an unknown keyword, say):
            // it is a schema now, in the scope of the resource the pointer starts from.
            guard let resourceScope = scopes[resource] else { preconditionFailure("resources are indexed") }
            try index(pointed, scope: resourceScope, isResourceRoot: false)
        }
        return (pointed, nil)
    }
}
