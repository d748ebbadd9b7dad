/// RFC 6902 JSON Patch over ``JSONValue``: the patch between two values, and applying a patch.
///
/// A patch is an array of operation objects such as `{"op": "add", "path": "/lines/0", "value": 1}`
/// whose `path` and `from` are RFC 6901 JSON Pointers (`~0` stands for `~` and `~1` for `/`
/// inside a member name). Both directions are pure functions of their arguments.
public enum JSONPatch {
    /// A patch that turns `source` into `target`: `apply(diff(from: a, to: b), to: a)` returns
    /// `b` for any values without NaN.
    ///
    /// The patch uses only `add`, `remove` and `replace`, and the same arguments always give the
    /// same patch. Equal values give an empty patch. Objects are compared member by member in
    /// sorted key order: a member only in `source` is removed, a member only in `target` is
    /// added, and a member in both is compared recursively. Arrays are compared element by
    /// element over their common length, then the extra elements of `source` are removed from
    /// the last one backwards, or the extra elements of `target` are added at their indices.
    /// Values of different kinds are replaced whole. The patch is correct, not minimal: an
    /// element inserted at the front of an array shows up as a change to every element after it.
    public static func diff(from source: JSONValue, to target: JSONValue) -> [JSONValue] {
        var operations: [JSONValue] = []
        appendDiff(from: source, to: target, at: "", into: &operations)
        return operations
    }

    /// `document` with the operations of `patch` applied in order, each to the result of the one
    /// before, as RFC 6902 specifies `add`, `remove`, `replace`, `move`, `copy` and `test`.
    ///
    /// The patch is atomic: the result is returned only if every operation succeeds. `test`
    /// compares values as ``JSONValue`` does (numbers by value, objects regardless of member
    /// order). Members of an operation other than `op`, `path`, `from` and `value` are ignored.
    /// An `add` at the empty path and a `replace` at it replace the whole document; a `remove` at
    /// it fails, as a document cannot be empty.
    /// - Throws: ``JSONPatchError`` for the first operation that is malformed or cannot be
    ///   applied, with its index.
    public static func apply(_ patch: [JSONValue], to document: JSONValue) throws(JSONPatchError) -> JSONValue {
        var result = document
        for (index, operation) in patch.enumerated() {
            do throws(Failure) {
                try perform(operation, on: &result)
            } catch {
                throw JSONPatchError(operationIndex: index, code: error.code, pointer: error.pointer, reason: error.reason)
            }
        }
        return result
    }

    /// The value the RFC 6901 JSON Pointer `pointer` names in `document` (the whole document
    /// for `""`), the same lookup a patch's `test` makes.
    /// - Throws: ``JSONPatchError`` with code `invalidPointer` for text that is not a pointer,
    ///   `pathNotFound` when the location does not exist; its `operationIndex` is 0.
    public static func value(at pointer: String, in document: JSONValue) throws(JSONPatchError) -> JSONValue {
        do throws(Failure) {
            return try value(at: try Pointer(parsing: pointer), in: document)
        } catch {
            throw JSONPatchError(operationIndex: 0, code: error.code, pointer: error.pointer, reason: error.reason)
        }
    }

    /// The unescaped reference tokens of the RFC 6901 JSON Pointer `pointer` (none for `""`, the
    /// whole document).
    /// - Throws: ``JSONPatchError`` with code `invalidPointer` for text that is not a pointer.
    public static func tokens(of pointer: String) throws(JSONPatchError) -> [String] {
        do throws(Failure) {
            return try Pointer(parsing: pointer).tokens
        } catch {
            throw JSONPatchError(operationIndex: 0, code: error.code, pointer: error.pointer, reason: error.reason)
        }
    }

    /// The JSON Pointer made of `tokens`, each escaped (`~` as `~0`, `/` as `~1`).
    public static func pointer(of tokens: [String]) -> String {
        tokens.map { "/" + escaped($0) }.joined()
    }

    // MARK: - Diff

    private static func appendDiff(from source: JSONValue, to target: JSONValue, at path: String, into operations: inout [JSONValue]) {
        guard source != target else { return }
        switch (source, target) {
        case (.object(let sourceMembers), .object(let targetMembers)):
            for key in Set(sourceMembers.keys).union(targetMembers.keys).sorted() {
                let memberPath = path + "/" + escaped(key)
                switch (sourceMembers[key], targetMembers[key]) {
                case (let sourceMember?, let targetMember?):
                    appendDiff(from: sourceMember, to: targetMember, at: memberPath, into: &operations)
                case (_?, nil):
                    operations.append(["op": "remove", "path": .string(memberPath)])
                case (nil, let targetMember?):
                    operations.append(["op": "add", "path": .string(memberPath), "value": targetMember])
                case (nil, nil):
                    preconditionFailure("\(key) comes from one of the two objects")
                }
            }
        case (.array(let sourceElements), .array(let targetElements)):
            let commonCount = min(sourceElements.count, targetElements.count)
            for index in 0..<commonCount {
                appendDiff(from: sourceElements[index], to: targetElements[index], at: "\(path)/\(index)", into: &operations)
            }
            // From the last one backwards, so each index is still valid when its turn comes.
            for index in (commonCount..<sourceElements.count).reversed() {
                operations.append(["op": "remove", "path": .string("\(path)/\(index)")])
            }
            for index in commonCount..<targetElements.count {
                operations.append(["op": "add", "path": .string("\(path)/\(index)"), "value": targetElements[index]])
            }
        default:
            operations.append(["op": "replace", "path": .string(path), "value": target])
        }
    }

    /// `name` as a JSON Pointer reference token. Scalar by scalar, since a `/` or `~` followed by
    /// a combining mark is part of a larger `Character`.
    private static func escaped(_ name: String) -> String {
        var token = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case "~": token.append(contentsOf: "~0".unicodeScalars)
            case "/": token.append(contentsOf: "~1".unicodeScalars)
            default: token.append(scalar)
            }
        }
        return String(token)
    }

    // MARK: - Apply

    /// The operations RFC 6902 defines, by their `op`.
    private enum Kind: String {
        case add, remove, replace, move, copy, test
    }

    /// A failed operation, before ``apply(_:to:)`` adds its index.
    private struct Failure: Error {
        let code: JSONPatchError.Code
        let pointer: String
        let reason: String

        init(_ code: JSONPatchError.Code, _ pointer: String, _ reason: String) {
            self.code = code
            self.pointer = pointer
            self.reason = reason
        }
    }

    /// A parsed RFC 6901 JSON Pointer, with its text for error messages.
    private struct Pointer {
        let text: String
        /// The unescaped reference tokens; empty for the whole document.
        let tokens: [String]

        init(parsing text: String) throws(Failure) {
            self.text = text
            guard !text.isEmpty else {
                tokens = []
                return
            }
            guard text.unicodeScalars.first == "/" else {
                throw Failure(.invalidPointer, text, "a JSON Pointer is empty or starts with \"/\"")
            }
            var tokens: [String] = []
            var token = String.UnicodeScalarView()
            var afterTilde = false
            for scalar in text.unicodeScalars.dropFirst() {
                if afterTilde {
                    switch scalar {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw Failure(.invalidPointer, text, "\"~\" must be followed by \"0\" or \"1\"")
                    }
                    afterTilde = false
                } else if scalar == "~" {
                    afterTilde = true
                } else if scalar == "/" {
                    tokens.append(String(token))
                    token = String.UnicodeScalarView()
                } else {
                    token.append(scalar)
                }
            }
            guard !afterTilde else { throw Failure(.invalidPointer, text, "\"~\" must be followed by \"0\" or \"1\"") }
            tokens.append(String(token))
            self.tokens = tokens
        }
    }

    private static func perform(_ operation: JSONValue, on document: inout JSONValue) throws(Failure) {
        guard case .object(let members) = operation else {
            throw Failure(.malformedOperation, "", "an operation must be an object, not \(operation.jsonText)")
        }
        guard let op = members["op"]?.stringValue else {
            throw Failure(.malformedOperation, "", "an operation needs an \"op\" string")
        }
        guard let kind = Kind(rawValue: op) else {
            throw Failure(.malformedOperation, "", "unknown op \"\(op)\"")
        }
        let path = try pointer(named: "path", in: members)
        switch kind {
        case .add:
            try add(try operand(in: members, path: path), at: path, in: &document)
        case .remove:
            _ = try remove(at: path, in: &document)
        case .replace:
            try replace(at: path, with: try operand(in: members, path: path), in: &document)
        case .move:
            let from = try pointer(named: "from", in: members)
            guard from.tokens != path.tokens else { return }
            guard !path.tokens.starts(with: from.tokens) else {
                throw Failure(.moveIntoDescendant, from.text, "cannot move a value into its own child \"\(path.text)\"")
            }
            try add(try remove(at: from, in: &document), at: path, in: &document)
        case .copy:
            let from = try pointer(named: "from", in: members)
            try add(try value(at: from, in: document), at: path, in: &document)
        case .test:
            let expected = try operand(in: members, path: path)
            let actual = try value(at: path, in: document)
            guard actual == expected else {
                throw Failure(.testFailed, path.text, "expected \(expected.jsonText), found \(actual.jsonText)")
            }
        }
    }

    /// The member `name` of an operation, parsed as a pointer.
    private static func pointer(named name: String, in members: [String: JSONValue]) throws(Failure) -> Pointer {
        guard let text = members[name]?.stringValue else {
            throw Failure(.malformedOperation, "", "the operation needs a \"\(name)\" string")
        }
        return try Pointer(parsing: text)
    }

    /// The `value` member of an operation, which may be null but not missing.
    private static func operand(in members: [String: JSONValue], path: Pointer) throws(Failure) -> JSONValue {
        guard let value = members["value"] else { throw Failure(.malformedOperation, path.text, "the operation needs a \"value\"") }
        return value
    }

    private static func add(_ value: JSONValue, at path: Pointer, in document: inout JSONValue) throws(Failure) {
        try modifyParent(of: path, in: &document, whole: { whole in whole = value }) { parent, token throws(Failure) in
            switch parent {
            case .object(var members):
                parent = .null
                members[token] = value
                parent = .object(members)
            case .array(var elements):
                let index = try arrayIndex(token, count: elements.count, allowingEnd: true, in: path)
                parent = .null
                elements.insert(value, at: index)
                parent = .array(elements)
            default:
                throw notAContainer(parent, token: token, in: path)
            }
        }
    }

    private static func replace(at path: Pointer, with value: JSONValue, in document: inout JSONValue) throws(Failure) {
        try modifyParent(of: path, in: &document, whole: { whole in whole = value }) { parent, token throws(Failure) in
            switch parent {
            case .object(var members):
                guard members[token] != nil else { throw Failure(.pathNotFound, path.text, "no member \"\(token)\" to replace") }
                parent = .null
                members[token] = value
                parent = .object(members)
            case .array(var elements):
                let index = try arrayIndex(token, count: elements.count, allowingEnd: false, in: path)
                parent = .null
                elements[index] = value
                parent = .array(elements)
            default:
                throw notAContainer(parent, token: token, in: path)
            }
        }
    }

    /// Removes the value at `path` and returns it.
    private static func remove(at path: Pointer, in document: inout JSONValue) throws(Failure) -> JSONValue {
        var removed = JSONValue.null
        try modifyParent(of: path, in: &document, whole: { _ throws(Failure) in
            throw Failure(.pathNotFound, path.text, "the whole document cannot be removed")
        }) { parent, token throws(Failure) in
            switch parent {
            case .object(var members):
                guard members[token] != nil else { throw Failure(.pathNotFound, path.text, "no member \"\(token)\" to remove") }
                parent = .null
                removed = members.removeValue(forKey: token)!
                parent = .object(members)
            case .array(var elements):
                let index = try arrayIndex(token, count: elements.count, allowingEnd: false, in: path)
                parent = .null
                removed = elements.remove(at: index)
                parent = .array(elements)
            default:
                throw notAContainer(parent, token: token, in: path)
            }
        }
        return removed
    }

    /// The value at `path`.
    private static func value(at path: Pointer, in document: JSONValue) throws(Failure) -> JSONValue {
        var current = document
        for token in path.tokens {
            switch current {
            case .object(let members):
                guard let member = members[token] else { throw Failure(.pathNotFound, path.text, "no member \"\(token)\"") }
                current = member
            case .array(let elements):
                current = elements[try arrayIndex(token, count: elements.count, allowingEnd: false, in: path)]
            default:
                throw notAContainer(current, token: token, in: path)
            }
        }
        return current
    }

    /// Runs `body` on the container that holds the last token of `path`, with that token, in
    /// place; or `whole` on the document itself when `path` is empty.
    private static func modifyParent(
        of path: Pointer, in document: inout JSONValue,
        whole: (inout JSONValue) throws(Failure) -> Void,
        _ body: (inout JSONValue, String) throws(Failure) -> Void
    ) throws(Failure) {
        guard let last = path.tokens.last else { return try whole(&document) }
        try modify(&document, at: path.tokens.dropLast(), of: path) { parent throws(Failure) in try body(&parent, last) }
    }

    /// Runs `body` on the value `tokens` leads to inside `value`, in place.
    private static func modify(
        _ value: inout JSONValue, at tokens: ArraySlice<String>, of path: Pointer,
        _ body: (inout JSONValue) throws(Failure) -> Void
    ) throws(Failure) {
        guard let token = tokens.first else { return try body(&value) }
        // Each container is taken out of `value` while its child changes, so that it is the only
        // reference to its storage and is changed in place rather than copied at every level.
        switch value {
        case .object(var members):
            guard members[token] != nil else { throw Failure(.pathNotFound, path.text, "no member \"\(token)\"") }
            value = .null
            defer { value = .object(members) }
            try modify(&members[token]!, at: tokens.dropFirst(), of: path, body)
        case .array(var elements):
            let index = try arrayIndex(token, count: elements.count, allowingEnd: false, in: path)
            value = .null
            defer { value = .array(elements) }
            try modify(&elements[index], at: tokens.dropFirst(), of: path, body)
        default:
            throw notAContainer(value, token: token, in: path)
        }
    }

    /// The array index `token` names: digits without a leading zero, below `count`, or equal to
    /// it (also spelled `-`) when `allowingEnd`, for adding at the end.
    private static func arrayIndex(_ token: String, count: Int, allowingEnd: Bool, in path: Pointer) throws(Failure) -> Int {
        if token == "-" {
            guard allowingEnd else { throw Failure(.pathNotFound, path.text, "\"-\" names the position after the last element, which holds no value") }
            return count
        }
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            token == "0" || !token.hasPrefix("0"), let index = Int(token)
        else {
            throw Failure(.pathNotFound, path.text, "\"\(token)\" is not an array index")
        }
        guard index < count || (allowingEnd && index == count) else {
            throw Failure(.pathNotFound, path.text, "index \(index) is past the end of an array of \(count) elements")
        }
        return index
    }

    private static func notAContainer(_ value: JSONValue, token: String, in path: Pointer) -> Failure {
        let kind =
            switch value {
            case .string: "a string"
            case .number: "a number"
            case .bool: "a Boolean"
            default: "null"
            }
        return Failure(.pathNotFound, path.text, "cannot look up \"\(token)\" in \(kind), which is neither an object nor an array")
    }
}
