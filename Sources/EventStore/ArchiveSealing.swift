import EventModel
import Foundation
import Sealing

/// How the archive of a sealed object keeps it sealed: its header carries the object's data
/// key as its store keeps it (wrapped by the master key, bound to its name there), and each event line
/// is `{"sealed": BASE64}`, the plain line sealed with that key (AES-256-GCM, the object bound
/// as additional data, a random nonce behind a tag of its own). Only a store with the same
/// master key imports it; destroying the master key (or, for a store that keeps it, erasing
/// the object and every copy of the key from before) leaves it unreadable. An incremental
/// backup's tail seals its event lines the same way (``EventStore/backupTail(after:to:)``), each object's key in a line of its own.
struct ArchiveSealing {
    /// The object's data key.
    let key: [UInt8]
    /// The object (as the archive's header names it, or its storage name in a tail), bound to
    /// every line.
    let name: [UInt8]
    /// What the nonces start with: archives' and tails' never meet.
    let tag: [UInt8]

    static let linePrefix = Array(#"{"sealed":""#.utf8)
    static let archiveTag = Array("evlogarc".utf8)
    static let tailTag = Array("evlogtai".utf8)
    static let parkedTag = Array("evlogpar".utf8)
    private static let nonceBytes = 32

    /// The sealing of an archive of `object` (as its header names it).
    init(key: [UInt8], object: String) {
        self.init(key: key, name: Array(object.utf8), tag: Self.archiveTag)
    }

    init(key: [UInt8], name: [UInt8], tag: [UInt8]) {
        self.key = key
        self.name = name
        self.tag = tag
    }

    /// The sealing of the archive whose header names `object` and holds `wrapped` (the key as
    /// its store keeps it, wrapped by the master key and bound to `boundTo`, its name there),
    /// opened with `master`; nil when it does not open (another master key, or a damaged header).
    static func opening(wrapped: String, boundTo: String, object: String, master: [UInt8]) -> ArchiveSealing? {
        guard let key = unwrap(wrapped, boundTo: Array(boundTo.utf8), master: master) else { return nil }
        return ArchiveSealing(key: key, object: object)
    }

    /// The data key in `wrapped` (base64 of the key as its store keeps it, bound to `boundTo`),
    /// opened with `master`; nil when it does not open.
    static func unwrap(_ wrapped: String, boundTo: [UInt8], master: [UInt8]) -> [UInt8]? {
        guard let sealed = Data(base64Encoded: wrapped) else { return nil }
        return try? ObjectKeyRing.open(Array(sealed), with: master, name: boundTo)
    }

    /// `plain` sealed under a random nonce (the tag, then 24 random bytes: an object's key
    /// outlives its ids, which a deleted object frees and a restore rolls back, so nothing of
    /// the event makes a nonce that is never used again): base64 of the nonce and the sealed bytes.
    func sealValue(_ plain: [UInt8]) throws -> String {
        var nonce = tag + [UInt8](repeating: 0, count: Self.nonceBytes - tag.count)
        nonce.withUnsafeMutableBytes { AESGCM.random(UnsafeMutableRawBufferPointer(rebasing: $0[tag.count...])) }
        return (Data(nonce) + Data(try AESGCM.sealed(plain, key: key, nonce: nonce, additionalData: name))).base64EncodedString()
    }

    /// What ``sealValue(_:)`` sealed; nil when it does not open (damaged, or another key).
    func openValue(_ base64: some Collection<UInt8>) -> [UInt8]? {
        guard let data = Data(base64Encoded: Data(base64)), data.count >= Self.nonceBytes + AESGCM.tagBytes else { return nil }
        let bytes = Array(data)
        return try? AESGCM.opened(Array(bytes[Self.nonceBytes...]), key: key, nonce: Array(bytes[..<Self.nonceBytes]), additionalData: name)
    }

    /// `line` sealed, as a line.
    func seal(_ line: [UInt8]) throws -> [UInt8] {
        Self.linePrefix + Array(try sealValue(line).utf8) + Array(#""}"#.utf8)
    }

    /// The plain line of a sealed one (`line` itself when it is not sealed).
    func open(_ line: [UInt8], lineNumber: Int) throws(ObjectArchive.ArchiveError) -> [UInt8] {
        guard line.starts(with: Self.linePrefix) else { return line }
        let end = line.lastIndex(of: UInt8(ascii: "\"")) ?? line.endIndex
        guard end > Self.linePrefix.count, let plain = openValue(line[Self.linePrefix.count..<end]) else {
            throw ObjectArchive.ArchiveError(line: lineNumber, reason: "a sealed line does not open with the archive's key (damaged, or of another object)")
        }
        return plain
    }
}
