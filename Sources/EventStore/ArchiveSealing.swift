import EventModel
import Foundation
import Sealing

/// How the archive of a sealed object keeps it sealed: its header carries the object's data
/// key as its store keeps it (wrapped by the master key, bound to its name there), and each event line
/// is `{"sealed": BASE64}`, the plain line sealed with that key (AES-256-GCM, the object bound
/// as additional data). Only a store with the same master key imports it; destroying the
/// master key (or, for a store that keeps it, erasing the object and every copy of the key
/// from before) leaves it unreadable. The nonce of a line is its event's id and seq behind a
/// tag of its own: an event is always the same line, so exporting twice gives the same file,
/// and no nonce ever seals two plaintexts.
struct ArchiveSealing {
    /// The object's data key.
    let key: [UInt8]
    /// The object as the header names it (`type/id`), bound to the key and every line.
    let name: [UInt8]

    static let linePrefix = Array(#"{"sealed":""#.utf8)
    private static let nonceTag = Array("evlogarc".utf8)

    init(key: [UInt8], object: String) {
        self.key = key
        name = Array(object.utf8)
    }

    /// The sealing of the archive whose header names `object` and holds `wrapped` (the key as
    /// its store keeps it, wrapped by the master key and bound to `boundTo`, its name there),
    /// opened with `master`; nil when it does not open (another master key, or a damaged header).
    static func opening(wrapped: String, boundTo: String, object: String, master: [UInt8]) -> ArchiveSealing? {
        guard let sealed = Data(base64Encoded: wrapped), let key = try? ObjectKeyRing.open(Array(sealed), with: master, name: Array(boundTo.utf8)) else {
            return nil
        }
        return ArchiveSealing(key: key, object: object)
    }

    /// `line` (the event `id` at `seq`) sealed, as a line.
    func seal(_ line: [UInt8], id: EventID, seq: Seq) throws -> [UInt8] {
        var nonce = Self.nonceTag
        withUnsafeBytes(of: id.high.bigEndian) { nonce += $0 }
        withUnsafeBytes(of: id.low.bigEndian) { nonce += $0 }
        withUnsafeBytes(of: seq.bigEndian) { nonce += $0 }
        var sealed = [UInt8](repeating: 0, count: line.count + AESGCM.tagBytes)
        try line.withUnsafeBytes { line in
            try key.withUnsafeBytes { key in
                try nonce.withUnsafeBytes { nonce in
                    try name.withUnsafeBytes { name in
                        try sealed.withUnsafeMutableBytes { try AESGCM().seal(line, key: key, nonce: nonce, additionalData: name, into: $0) }
                    }
                }
            }
        }
        return Self.linePrefix + Array((Data(nonce) + Data(sealed)).base64EncodedString().utf8) + Array(#""}"#.utf8)
    }

    /// The plain line of a sealed one (`line` itself when it is not sealed).
    func open(_ line: [UInt8], lineNumber: Int) throws(ObjectArchive.ArchiveError) -> [UInt8] {
        guard line.starts(with: Self.linePrefix) else { return line }
        let end = line.lastIndex(of: UInt8(ascii: "\"")) ?? line.endIndex
        guard end > Self.linePrefix.count, let data = Data(base64Encoded: Data(line[Self.linePrefix.count..<end])),
            data.count >= 32 + AESGCM.tagBytes
        else { throw ObjectArchive.ArchiveError(line: lineNumber, reason: "a sealed line is not base64 of a nonce and a sealed event") }
        let bytes = Array(data)
        var plain = [UInt8](repeating: 0, count: bytes.count - 32 - AESGCM.tagBytes)
        do {
            try bytes.withUnsafeBytes { bytes in
                try key.withUnsafeBytes { key in
                    try name.withUnsafeBytes { name in
                        try plain.withUnsafeMutableBytes {
                            try AESGCM().open(
                                UnsafeRawBufferPointer(rebasing: bytes[32...]), key: key, nonce: UnsafeRawBufferPointer(rebasing: bytes[..<32]),
                                additionalData: name, into: $0)
                        }
                    }
                }
            }
        } catch {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "a sealed line does not open with the archive's key (damaged, or of another object)")
        }
        return plain
    }
}
