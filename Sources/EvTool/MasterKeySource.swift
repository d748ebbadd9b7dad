import Foundation
import Sealing

/// Where evtool finds the master key that seals a store's objects at rest (see the README's
/// *Erasure*): `$EVLOG_MASTER_KEY` (base64 of 32 bytes); else the file `--master-key-file` or
/// `$EVLOG_MASTER_KEY_FILE` (base64 of 32 bytes, or the 32 bytes); else `DATA/master.key`,
/// which is made (32 random bytes, base64, mode 0600) for a folder that holds no store yet. A
/// store made by an earlier build, with no key file, opens without one (nothing sealed, erasure
/// refused) until a key is given.
enum MasterKeySource {
    /// The file name of a data folder's own master key.
    static let fileName = "master.key"

    /// The master key for the store in `data`, or nil for an unsealed store; `file` is
    /// `--master-key-file`.
    static func key(data: String, file: String? = nil) throws -> [UInt8]? {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["EVLOG_MASTER_KEY"], !text.isEmpty {
            guard let key = decode(Data(text.utf8)) else { throw CommandFailure("EVLOG_MASTER_KEY must be base64 of 32 bytes (openssl rand -base64 32)") }
            return key
        }
        if let path = file ?? environment["EVLOG_MASTER_KEY_FILE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return try read(path)
        }
        let own = data + "/" + fileName
        if FileManager.default.fileExists(atPath: own) { return try read(own) }
        guard !FileManager.default.fileExists(atPath: data + "/data.mdb") else { return nil }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let key = AESGCM.randomKey()
        guard FileManager.default.createFile(atPath: own, contents: Data((Data(key).base64EncodedString() + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw CommandFailure("cannot write \(own)") }
        return key
    }

    /// Writes `key` as the master key file of the folder `data` (mode 0600), for a store
    /// restored there.
    static func install(_ key: [UInt8], in data: String) throws {
        let own = data + "/" + fileName
        guard FileManager.default.createFile(atPath: own, contents: Data((Data(key).base64EncodedString() + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw CommandFailure("cannot write \(own)") }
    }

    /// The key in the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read the master key file \(path)") }
        if bytes.count == 32 { return Array(bytes) }
        guard let key = decode(bytes) else { throw CommandFailure("\(path) must hold base64 of 32 bytes (openssl rand -base64 32), or the 32 bytes") }
        return key
    }

    private static func decode(_ text: Data) -> [UInt8]? {
        let trimmed = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = Data(base64Encoded: trimmed), key.count == 32 else { return nil }
        return Array(key)
    }
}
