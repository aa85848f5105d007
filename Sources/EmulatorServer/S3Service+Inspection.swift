import AtRestCrypto
import ClientSideEncryption
import Foundation
import NIOCore
import S3Wire
import Storage

/// The inspection API: what is stored for an object, for tests that must prove encryption at rest.
///
/// `GET /_s3emu/inspect/{bucket}/{key}` (SigV4-signed) →
/// ```json
/// {"bucket": …, "key": …, "mode": "none"|"SSE-S3"|"SSE-KMS"|"DSSE-KMS"|"SSE-C", "kms_key_arn": …|null,
///  "key_version": …|null, "algorithm": …|null, "format_version": 1|null, "segments": N, "stored_size": N,
///  "plaintext_size": N, "stored_prefix_hex": "<first 32 stored bytes>", "bucket_key_enabled": bool,
///  "encryption_context": …|null, "parts": [{"number", "mode", "stored_size", "plaintext_size", "segments"}],
///  "plaintext_prefix_found_in_stored_bytes": true|false|null, "client_side": null|{…}}
/// ```
/// `client_side` describes an object the S3 Encryption Client encrypted before upload, recognised by its metadata
/// (or its `<key>.instruction` file): format, content cipher, wrap algorithm, KMS key id when readable, context,
/// instruction file or not. The server never tries to decrypt such an object; for it the plaintext-search field
/// speaks of the bytes S3 received, which are the client's ciphertext.
/// The last field is computed by decrypting the first 32 plaintext bytes (SSE-S3/KMS/DSSE; null for SSE-C, whose
/// key the server does not have) and searching every stored byte for them: for an encrypted object it must be false.
extension S3Service {
    func inspect(bucket: String, key: String, caller: String) async throws -> [String: Any] {
        guard try await store.bucket(bucket) != nil else { throw S3Error.noSuchBucket(bucket) }
        guard let opened = try await store.openObject(bucket: bucket, key: key) else { throw S3Error.noSuchKey(key) }
        let o = opened.record
        var parts: [[String: Any]] = []
        var storedSize: Int64 = 0
        var segments = 0
        var first: EncryptionEnvelope?
        for (i, p) in o.parts.enumerated() {
            let e = try Self.envelope(p.attributes)
            if i == 0 { first = e }
            let count = e.map { $0.layout(plaintextSize: p.plainSize).segmentCount } ?? 0
            segments += count
            storedSize += p.blob.size
            parts.append(["number": p.number, "mode": e?.mode.rawValue ?? "none", "stored_size": p.blob.size,
                          "plaintext_size": p.plainSize, "segments": count])
        }
        var prefix: [UInt8] = []
        for (i, _) in o.parts.enumerated() where prefix.count < 32 {
            prefix += try await storedBytes(opened.sources[i], upTo: 32 - prefix.count)
        }
        var found: Any = NSNull()
        if let first, first.mode != .sseC, o.size > 0 {
            let keys = try await o.parts.enumerated().asyncMap { (i, p) -> SegmentKeys? in
                guard i == 0, let e = try Self.envelope(p.attributes) else { return nil }
                return try await segmentKeys(e, bucket: bucket, key: key, part: p, multipart: o.multipart, customerKey: nil, caller: caller)
            }
            var plain: [UInt8] = []
            try await Self.forEachChunk(opened, span: 0...min(31, o.size - 1), keys: keys, allocator: ByteBufferAllocator()) {
                plain += Array($0.readableBytesView)
            }
            found = try await storedBytesContain(opened, needle: plain)
        } else if first == nil, o.size > 0 {
            found = true
        }
        return [
            "bucket": bucket, "key": key, "mode": first?.mode.rawValue ?? "none",
            "kms_key_arn": (first?.mode == .sseKMS || first?.mode == .dsseKMS ? first?.kmsKeyARN : nil) ?? NSNull(),
            "key_version": first?.keyVersion ?? NSNull(), "algorithm": first?.algorithm ?? NSNull(),
            "format_version": first.map { Int($0.formatVersion) } ?? NSNull(), "segments": segments,
            "stored_size": storedSize, "plaintext_size": o.size, "stored_prefix_hex": prefix.hexString,
            "bucket_key_enabled": first?.bucketKeyEnabled ?? false, "encryption_context": first?.encryptionContext ?? NSNull(),
            "layers": first?.layers ?? 0, "parts": parts, "plaintext_prefix_found_in_stored_bytes": found,
            "client_side": try await clientSideEnvelope(o, caller: caller) ?? NSNull(),
        ]
    }

    /// The S3 Encryption Client envelope of an object, from its metadata or its instruction file; `nil` for an
    /// object without one. A malformed envelope is reported as such rather than failing the inspection.
    func clientSideEnvelope(_ record: ObjectRecord, caller: String) async throws -> [String: Any]? {
        let metadata = Dictionary(record.userMetadata.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }) { a, _ in a }
        let objectKeys = ContentMetadata.normalise(metadata).filter { MetadataKey.all.contains($0.key) }
        var instructionFile: [String: String]?
        if case .instructionFile? = try? ContentMetadata.locate(metadata),
            let body = try await smallObjectBody(bucket: record.bucket, key: record.key + ".instruction", caller: caller)
        {
            instructionFile = (try? JSONMap.decode(String(decoding: body, as: UTF8.self), name: "the instruction file")) ?? [:]
        }
        do throws(ClientSideError) {
            let parsed = try ContentMetadata.parse(object: metadata, instructionFile: instructionFile)
            return EnvelopeSummary(metadata: parsed, rawKeys: objectKeys.merging(instructionFile ?? [:]) { _, f in f }).fields
        } catch {
            return objectKeys.isEmpty && instructionFile == nil ? nil : ["error": error.description]
        }
    }

    /// The plaintext of a small object the server can decrypt itself (an instruction file), or `nil` when it does
    /// not exist, is larger than 64 KiB, or is SSE-C.
    func smallObjectBody(bucket: String, key: String, caller: String) async throws -> [UInt8]? {
        guard let opened = try await store.openObject(bucket: bucket, key: key) else { return nil }
        let o = opened.record
        guard o.size <= 64 << 10 else { return nil }
        guard o.size > 0 else { return [] }
        var keys: [SegmentKeys?] = []
        for p in o.parts {
            guard let e = try Self.envelope(p.attributes) else { keys.append(nil); continue }
            guard e.mode != .sseC else { return nil }
            keys.append(try await segmentKeys(e, bucket: bucket, key: key, part: p, multipart: o.multipart, customerKey: nil, caller: caller))
        }
        var body: [UInt8] = []
        try await Self.forEachChunk(opened, span: 0...(o.size - 1), keys: keys, allocator: ByteBufferAllocator()) {
            body += Array($0.readableBytesView)
        }
        return body
    }

    func storedBytes(_ source: BlobSource, upTo n: Int) async throws -> [UInt8] {
        switch source {
        case .memory(let bytes): return Array(bytes.prefix(n))
        case .file(let file):
            let b = try file.read(offset: 0, length: n, allocator: ByteBufferAllocator())
            return Array(b.readableBytesView)
        }
    }

    /// Whether `needle` occurs anywhere in the stored bytes of the object (chunk boundaries included).
    func storedBytesContain(_ opened: OpenedObject, needle: [UInt8]) async throws -> Bool {
        guard !needle.isEmpty else { return false }
        var carry: [UInt8] = []
        for (i, part) in opened.record.parts.enumerated() {
            var offset: Int64 = 0
            while offset < part.blob.size {
                let n = Int(min(Int64(Self.readChunk), part.blob.size - offset))
                var chunk: [UInt8]
                switch opened.sources[i] {
                case .memory(let bytes): chunk = Array(bytes[Int(offset)..<Int(offset) + n])
                case .file(let file): chunk = Array(try file.read(offset: offset, length: n, allocator: ByteBufferAllocator()).readableBytesView)
                }
                let window = carry + chunk
                if Self.contains(window, needle) { return true }
                carry = Array(window.suffix(needle.count - 1))
                offset += Int64(n)
            }
        }
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
