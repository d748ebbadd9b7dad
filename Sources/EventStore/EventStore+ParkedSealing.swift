import EventModel
import LMDB

extension EventStore {
    /// The clear members of a parked event whose object is sealed: what names it, where it is,
    /// when; the rest (its data, a view's state) is in `sealed`, and `sealedFor` names the
    /// object whose key seals it (as stored: tenant, type and id).
    private static let parkedClearMembers: Set<String> = ["id", "source", "subject", "time", "position", "seq", "objecttype"]

    /// `batch` (a JSON array of CloudEvents, as a sink sends them) with each event of a sealed
    /// object sealed under the object's key (random nonce, the object bound to it): its clear
    /// members kept, the whole event in `sealed`. Events of objects with no key stay as they are.
    func sealParked(_ batch: [UInt8]) throws(EventStoreError) -> [UInt8] {
        guard let ring = layout.keyRing else { return batch }
        return try read { transaction in
            var out = JSONWriter(capacity: batch.count + 256)
            out.byte(UInt8(ascii: "["))
            var first = true
            var sealings: [[UInt8]: ArchiveSealing?] = [:]
            try batch.withUnsafeBytes { bytes in
                var scanner = JSONScanner(bytes)
                try scanner.readArray { element in
                    let range = try element.skipValue()
                    let event = UnsafeRawBufferPointer(rebasing: bytes[range])
                    if !first { out.byte(UInt8(ascii: ",")) }
                    first = false
                    var clear: [(String, Range<Int>)] = []
                    var position: Position?
                    var source: String?
                    var inner = JSONScanner(event)
                    try inner.readObject { key, value in
                        switch key {
                        case "position": position = Position(exactly: try value.readInteger())
                        case "source": source = try value.readString()
                        default: _ = try value.skipValue()
                        }
                    }
                    inner = JSONScanner(event)
                    try inner.readObject { key, value in
                        let valueRange = try value.skipValue()
                        if Self.parkedClearMembers.contains(key) { clear.append((key, valueRange)) }
                    }
                    // Its object: its record's stream's, or (a position compacted since) its source's.
                    var name: [UInt8]?
                    if let position, let stream = try Self.stream(at: position, layout: layout, in: transaction) {
                        name = try objectName(ofStream: stream, in: transaction)
                    } else if let source, source.hasPrefix("/v1/objects/"), let object = try? ObjectKey(parsing: String(source.dropFirst(12))) {
                        name = object.storageName
                    }
                    guard let name else {
                        out.bytes.append(contentsOf: event)
                        return
                    }
                    if sealings[name] == nil { sealings[name] = try parkedSealing(of: name, ring: ring, in: transaction) }
                    guard let sealing = sealings[name] ?? nil else {
                        out.bytes.append(contentsOf: event)
                        return
                    }
                    out.byte(UInt8(ascii: "{"))
                    out.ascii("\"sealedFor\":")
                    name.withUnsafeBytes { out.string(utf8: $0) }
                    out.byte(UInt8(ascii: ","))
                    for (key, valueRange) in clear {
                        out.string(key)
                        out.byte(UInt8(ascii: ":"))
                        out.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: event[valueRange]))
                        out.byte(UInt8(ascii: ","))
                    }
                    out.ascii("\"sealed\":")
                    out.string(try sealing.sealValue(Array(event)))
                    out.byte(UInt8(ascii: "}"))
                }
            }
            out.byte(UInt8(ascii: "]"))
            return out.bytes
        }
    }

    /// The events of a parked batch as the sink sent them: each sealed one opened with its
    /// object's key, or, when the object was erased since, its `ObjectErased` tombstone (as the
    /// log reads it).
    func openParked(_ events: UnsafeRawBufferPointer, in transaction: ReadTransaction) throws -> [UInt8] {
        guard let ring = layout.keyRing else { return Array(events) }
        var out = JSONWriter(capacity: events.count)
        out.byte(UInt8(ascii: "["))
        var first = true
        var sealings: [[UInt8]: ArchiveSealing?] = [:]
        var scanner = JSONScanner(events)
        try scanner.readArray { element in
            let range = try element.skipValue()
            let event = UnsafeRawBufferPointer(rebasing: events[range])
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            var members: [String: Range<Int>] = [:]
            var inner = JSONScanner(event)
            try inner.readObject { key, value in members[key] = try value.skipValue() }
            guard let sealedRange = members["sealed"], let nameRange = members["sealedFor"], nameRange.count >= 2 else {
                out.bytes.append(contentsOf: event)
                return
            }
            let name = Array(event[(nameRange.lowerBound + 1)..<(nameRange.upperBound - 1)])
            if sealings[name] == nil { sealings[name] = try parkedSealing(of: name, ring: ring, in: transaction) }
            if let sealing = sealings[name] ?? nil,
                let plain = sealing.openValue(UnsafeRawBufferPointer(rebasing: event[(sealedRange.lowerBound + 1)..<(sealedRange.upperBound - 1)]))
            {
                out.bytes.append(contentsOf: plain)
                return
            }
            // Erased since: the tombstone in its place, as the log shows it.
            let erasedAt = try erasedTime(of: name, ring: ring, in: transaction) ?? 0
            func copy(_ keys: [String]) {
                for key in keys {
                    guard let valueRange = members[key] else { continue }
                    out.byte(UInt8(ascii: ","))
                    out.string(key)
                    out.byte(UInt8(ascii: ":"))
                    out.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: event[valueRange]))
                }
            }
            out.ascii("{\"specversion\":\"1.0\"")
            copy(["id", "source"])
            out.ascii(",\"type\":")
            out.string(RecordDecoder.erasedType)
            copy(["subject", "time"])
            out.ascii(",\"datacontenttype\":\"application/json\",\"data\":{\"erasedAt\":")
            out.integer(erasedAt)
            out.byte(UInt8(ascii: "}"))
            copy(["position", "seq", "objecttype"])
            out.byte(UInt8(ascii: "}"))
        }
        out.byte(UInt8(ascii: "]"))
        return out.bytes
    }

    /// The stream of the event at `position` (from its record's header), if it is in the log.
    private static func stream(at position: Position, layout: StoreLayout, in transaction: some ReadableTransaction) throws -> UInt64? {
        try StoreKeys.withKey(position) { key in try transaction.get(layout.log, key: key).flatMap(EventRecord.streamAndSeq)?.stream }
    }

    /// The storage name of `stream`'s object.
    private func objectName(ofStream stream: UInt64, in transaction: some ReadableTransaction) throws -> [UInt8]? {
        try StoreKeys.withKey(stream) { key in
            guard let record = try transaction.get(layout.streams, key: key), record.count > StreamRecord.headerBytes else { return nil }
            return Array(StreamRecord.nameParts(record).object)
        }
    }

    /// How a parked event of the object stored as `name` is sealed: under its key (nil: it has none).
    private func parkedSealing(of name: [UInt8], ring: ObjectKeyRing, in transaction: some ReadableTransaction) throws -> ArchiveSealing? {
        guard case .key(let key)? = try ring.state(ofObject: name, in: transaction) else { return nil }
        return ArchiveSealing(key: key, name: name, tag: ArchiveSealing.parkedTag)
    }

    /// When the object stored as `name` was erased, if it was.
    private func erasedTime(of name: [UInt8], ring: ObjectKeyRing, in transaction: some ReadableTransaction) throws -> Int64? {
        guard case .erased(let time)? = try ring.state(ofObject: name, in: transaction) else { return nil }
        return time
    }
}
