import EventModel

// The inventory's events write their own JSON (the same their `Codable` conformances make,
// member for member, `nil` members left out): a flash sale decides them by the ten thousand a
// second on one writer, and a keyed encoding container per event would cost a fifth of it.
// `InventoryJSONTests` checks each against its `Codable` form.

extension Restocked: JSONBytesEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"qty\":")
        writer.integer(qty)
        if let note {
            writer.ascii(",\"note\":")
            writer.string(note)
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

extension Reserved: JSONBytesEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"orderId\":")
        writer.string(orderId)
        writer.ascii(",\"qty\":")
        writer.integer(qty)
        writer.ascii(",\"expiresAt\":")
        writer.integer(expiresAt)
        writer.byte(UInt8(ascii: "}"))
    }
}

extension OrderReference: JSONBytesEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"orderId\":")
        writer.string(orderId)
        if let reason {
            writer.ascii(",\"reason\":")
            writer.string(reason)
        }
        writer.byte(UInt8(ascii: "}"))
    }
}

extension Adjusted: JSONBytesEncodable {
    func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"delta\":")
        writer.integer(delta)
        writer.ascii(",\"reason\":")
        writer.string(reason)
        writer.byte(UInt8(ascii: "}"))
    }
}

// And they read themselves from a parsed tree, member by member, as their `Decodable`
// conformances would: a rebuild folds millions of them.

extension Restocked: JSONTreeDecodable {
    init?(tree: JSONValue) {
        guard let qty = tree.requiredInteger("qty"), let note = tree.optionalString("note") else { return nil }
        self.init(qty: qty, note: note)
    }
}

extension Reserved: JSONTreeDecodable {
    init?(tree: JSONValue) {
        guard let orderId = tree.requiredString("orderId"), let qty = tree.requiredInteger("qty"), let expiresAt = tree.requiredInteger("expiresAt")
        else { return nil }
        self.init(orderId: orderId, qty: qty, expiresAt: Int64(expiresAt))
    }
}

extension OrderReference: JSONTreeDecodable {
    init?(tree: JSONValue) {
        guard let orderId = tree.requiredString("orderId"), let reason = tree.optionalString("reason") else { return nil }
        self.init(orderId: orderId, reason: reason)
    }
}

extension Adjusted: JSONTreeDecodable {
    init?(tree: JSONValue) {
        guard let delta = tree.requiredInteger("delta"), let reason = tree.requiredString("reason") else { return nil }
        self.init(delta: delta, reason: reason)
    }
}

extension ReorderPointSet: JSONTreeDecodable {
    init?(tree: JSONValue) {
        guard let point = tree.requiredInteger("point") else { return nil }
        self.init(point: point)
    }
}

// A SKU's order rows are checkpointed by the ten thousand.

extension StockView.Order: JSONBytesEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.ascii("{\"qty\":")
        writer.integer(qty)
        writer.ascii(",\"expiresAt\":")
        writer.integer(expiresAt)
        writer.ascii(",\"status\":")
        writer.string(status.rawValue)
        writer.byte(UInt8(ascii: "}"))
    }
}
