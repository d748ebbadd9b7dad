import Access
import Dispatch
import EventModel
import Foundation
import JSONSchema
import Projections
import Zstd

@testable import EventStore

/// The target this process fuzzes, named by `EVFUZZ_TARGET`: libFuzzer calls one entry point, and
/// one build serves every parser.
enum FuzzTarget: String, CaseIterable {
    /// An append request's body (the JSON scanner and the append parser).
    case append
    /// Any JSON: parsed, written again, parsed again: the same value.
    case json
    /// A JSON Schema compiled from the bytes, then run on a few instances (and on itself).
    case schema
    /// An instance validated against the bundled inventory schema.
    case validate
    /// A command's body, prepared by every bundled command.
    case command
    /// A stored event record (length, CRC-32C, zstd).
    case record
    /// A stored snapshot (CRC-32C, zstd).
    case snapshot
    /// An export archive's lines: its header and its events.
    case archive
    /// A `Last-Event-ID` header.
    case lastEventID = "last-event-id"
    /// A bearer credential: a JWT (header, payload, signature) or an API key.
    case jwt

    static let current: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["EVFUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            fatalError("set EVFUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()
}

/// The bundled inventory schema's events, for `validate`.
let inventorySchema: JSONSchema = {
    let schema: JSONValue = [
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object", "required": ["qty"], "additionalProperties": false,
        "properties": ["qty": ["type": "integer", "minimum": 1, "maximum": 1_000_000], "orderId": ["type": "string", "pattern": "^[a-z0-9-]{1,64}$"],
            "note": ["type": ["string", "null"], "maxLength": 200], "tags": ["type": "array", "items": ["enum": ["a", "b", "c"]], "uniqueItems": true]],
    ]
    return try! JSONSchema(schema)
}()

/// A verifier with one HS256 key, audience `evlog`, and one API key, for `jwt`.
let verifier: TokenVerifier = {
    let json = #"{"audience": "evlog", "keys": [{"kid": "k", "alg": "HS256", "secret": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYtZnV6eg=="}], "apiKeys": [{"name": "f", "sha256": "\#(APIKeys.hash("evk_fuzz"))", "tenant": "t", "scopes": ["read"]}]}"#
    let configuration = try! JSONDecoder().decode(AccessConfiguration.self, from: Data(json.utf8))
    let made = Box<TokenVerifier>()
    let done = DispatchSemaphore(value: 0)
    Task {
        made.value = try! await TokenVerifier(configuration: configuration)
        done.signal()
    }
    done.wait()
    return made.value!
}()

final class Box<T>: @unchecked Sendable { var value: T? }

/// libFuzzer calls the entry point from one thread, one input at a time.
nonisolated(unsafe) let recordDecoder = RecordDecoder()
nonisolated(unsafe) let decompressor = ZstdDecompressor()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    switch FuzzTarget.current {
    case .append:
        _ = try? AppendRequestParser.parse(bytes, limits: AppendLimits(), keepingData: true)
    case .json:
        guard let value = try? JSONValue(parsing: bytes) else { break }
        var writer = JSONWriter()
        writer.value(value)
        let again = try? writer.bytes.withUnsafeBytes { try JSONValue(parsing: $0) }
        precondition(again == value, "JSON written again does not parse to the same value")
    case .schema:
        guard let value = try? JSONValue(parsing: bytes), let schema = try? JSONSchema(value) else { break }
        for instance: JSONValue in [value, .null, 0, 1.5, "a", [1, "b"], ["qty": 3]] { _ = schema.validate(instance) }
    case .validate:
        guard let value = try? JSONValue(parsing: bytes) else { break }
        _ = inventorySchema.validate(value)
    case .command:
        guard let value = try? JSONValue(parsing: bytes) else { break }
        for definition in BundledTypes.all.values {
            for decider in definition.commands.values { _ = decider.prepare(value) }
        }
    case .record:
        _ = try? recordDecoder.decode(position: 1, record: bytes)
    case .snapshot:
        _ = StoreLayout.decodeSnapshot(bytes, decompressor: decompressor)
    case .archive:
        let line = Array(bytes)
        _ = try? ObjectArchive.parseHeader(line)
        line.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            _ = try? ArchiveImporter.readEvent(&scanner)
        }
    case .lastEventID:
        // Whatever it takes is the digits between the spaces and tabs, and nothing else.
        if let parsed = LastEventID.parse(String(decoding: bytes, as: UTF8.self)) {
            let digits = Array(bytes).drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
            precondition(UInt64(String(decoding: Array(digits), as: UTF8.self)) == parsed, "Last-Event-ID took what is not its digits")
        }
    case .jwt:
        let credential = String(decoding: bytes, as: UTF8.self)
        let done = DispatchSemaphore(value: 0)
        Task {
            _ = try? await verifier.principal(for: credential)
            done.signal()
        }
        done.wait()
    }
    return 0
}
