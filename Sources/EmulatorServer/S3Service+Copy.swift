import AtRestCrypto
import Crypto
import Encryption
import Hummingbird
import NIOCore
import S3Wire
import Storage

/// CopyObject and the copy-source side shared with UploadPartCopy: parsing the source, its conditionals, its
/// SSE-C keys, and copying bytes (decrypted from the source, re-encrypted for the destination: encryption is never
/// inherited).
extension S3Service {
    /// Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`, URL-encoded).
    func copySource(_ r: S3Request) throws(S3Error) -> (bucket: String, key: String) {
        guard var text = r.header("x-amz-copy-source") else { throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source") }
        if let q = text.firstIndex(of: "?") {
            let version = text[text.index(after: q)...]
            if version != "versionId=null" { throw S3Error.invalidArgument("Invalid version id specified", name: "x-amz-copy-source") }
            text = String(text[..<q])
        }
        guard let decoded = URIEncoding.decode(text) else { throw S3Error.invalidArgument("Invalid copy source encoding", name: "x-amz-copy-source") }
        var rest = Substring(decoded)
        if rest.hasPrefix("/") { rest = rest.dropFirst() }
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: text)
        }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    /// Opens the copy source and applies `x-amz-copy-source-if-*`.
    func openCopySource(_ r: S3Request) async throws -> OpenedObject {
        let (bucket, key) = try copySource(r)
        _ = try await requireBucket(bucket)
        guard let opened = try await openForReading(bucket: bucket, key: key) else { throw S3Error.noSuchKey(key) }
        let o = opened.record
        switch Self.evaluateReadConditions(
            ifMatch: r.header("x-amz-copy-source-if-match"), ifNoneMatch: r.header("x-amz-copy-source-if-none-match"),
            ifModifiedSince: r.header("x-amz-copy-source-if-modified-since"),
            ifUnmodifiedSince: r.header("x-amz-copy-source-if-unmodified-since"), etag: o.etag, lastModifiedMs: o.lastModifiedMs)
        {
        case .proceed: return opened
        case .failed(let c): throw S3Error.preconditionFailed("x-amz-copy-source-" + c)
        case .notModified: throw S3Error.preconditionFailed("x-amz-copy-source-If-None-Match")
        }
    }

    /// The segment keys of a copy source (checking its copy-source SSE-C headers: E-C10, E-C15, E-C16).
    func copySourceKeys(_ r: S3Request, opened: OpenedObject) async throws -> [SegmentKeys?] {
        let operation: SSEOperation = r.operation == .uploadPartCopy ? .uploadPartCopy : .copy
        let headers = try SSERequestHeaders.parse(r.head, operation: operation)
        let src = opened.record
        let first = try Self.firstEnvelope(src)
        try SSECustomerKeyCheck.checkCopySource(copySourceKey: headers.copySource, sourceIsSSEC: first?.mode == .sseC,
                                                keyMatches: Self.customerKeyMatches(first))
        var keys: [SegmentKeys?] = []
        for part in src.parts {
            guard let e = try Self.envelope(part.attributes) else { keys.append(nil); continue }
            keys.append(try await segmentKeys(e, bucket: src.bucket, key: src.key, part: part, multipart: src.multipart,
                                              customerKey: headers.copySource, caller: r.auth.accessKey ?? "anonymous"))
        }
        return keys
    }

    /// Copies a span of an opened object (decrypting with `sourceKeys`) into a new blob (sealed with `sealing`),
    /// hashing the plaintext as it goes. Returns the plaintext size.
    func copyBytes(_ opened: OpenedObject, span: ClosedRange<Int64>?, sourceKeys: [SegmentKeys?] = [], sealing: SealingPlan? = nil,
                   checksum algorithm: ChecksumAlgorithm) async throws
        -> (PendingBlob, md5: String, checksum: String, size: Int64)
    {
        let writer = store.blobs.makeWriter()
        var md5 = MD5Hasher()
        var hasher = ChecksumHasher(algorithm)
        var sealer = sealing.map { SegmentSealer(keys: $0.keys) }
        var size: Int64 = 0
        do {
            if let span {
                try await Self.forEachChunk(opened, span: span, keys: sourceKeys, allocator: ByteBufferAllocator()) { buf in
                    try buf.withUnsafeReadableBytes { p in
                        md5.update(bufferPointer: p)
                        hasher.update(p)
                        size += Int64(p.count)
                        if sealer != nil { try sealer!.append(p, into: { try writer.write($0) }) } else { try writer.write(p) }
                    }
                }
            }
            try sealer?.finish(into: { try writer.write($0) })
            let blob = try await writer.finish()
            return (blob, md5.finalize().hexString, hasher.finalize(), size)
        } catch {
            writer.discard()
            throw error
        }
    }

    func copyObject(_ r: S3Request) async throws -> Response {
        try checkKey(r.key)
        _ = try await requireBucket(r.bucket)
        let (srcBucket, srcKey) = try copySource(r)
        let directive = r.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        guard directive == "COPY" || directive == "REPLACE" else {
            throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: directive)
        }
        let tagDirective = r.header("x-amz-tagging-directive")?.uppercased() ?? "COPY"
        guard tagDirective == "COPY" || tagDirective == "REPLACE" else {
            throw S3Error.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: tagDirective)
        }
        let bucket = try await requireBucket(r.bucket)
        let mode = try chooseWriteMode(r, bucket: bucket, operation: .copy)
        let described = try ObjectHeaders.describe(r.head)
        let changesEncryption = r.header("x-amz-server-side-encryption") != nil || r.header("x-amz-server-side-encryption-customer-algorithm") != nil
            || bucket.settings["encryption"] != nil
        if srcBucket == r.bucket && srcKey == r.key && directive == "COPY" && r.header("x-amz-storage-class") == nil
            && r.header("x-amz-website-redirect-location") == nil && !changesEncryption
        {
            // Legal still when the object's encryption differs from what the default gives (an SSE-KMS object
            // copied with no header becomes SSE-S3).
            let current = try await store.object(bucket: srcBucket, key: srcKey)
            let currentKind = try current.flatMap { o throws(S3Error) in try Self.firstEnvelope(o) }?.mode.sseKind
            if current == nil || currentKind == mode?.kind {
                throw S3Error.invalidRequest(
                    "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
            }
        }
        let opened = try await openCopySource(r)
        let src = opened.record
        let sourceKeys = try await copySourceKeys(r, opened: opened)
        let algorithm = (r.header("x-amz-checksum-algorithm")).flatMap(ChecksumAlgorithm.init(name:))
            ?? src.checksum.flatMap { ChecksumAlgorithm(rawValue: $0.algorithm) } ?? .crc64nvme
        var plan: SealingPlan?
        if let mode { plan = try await sealingPlan(mode, bucket: r.bucket, key: r.key, caller: r.auth.accessKey ?? "anonymous") }
        let (blob, plainMD5, checksum, size) = try await copyBytes(
            opened, span: src.size > 0 ? 0...(src.size - 1) : nil, sourceKeys: sourceKeys, sealing: plan, checksum: algorithm)
        let md5 = SSEETag.etag(kind: plan?.kind, plaintextMD5: [UInt8](hex: plainMD5) ?? [])
        var headers = src.headers
        var metadata = src.userMetadata
        if directive == "REPLACE" {
            headers = described.headers
            metadata = described.metadata
        }
        let stored = StoredChecksum(algorithm: algorithm.rawValue, value: checksum, type: "FULL_OBJECT")
        let record = ObjectRecord(
            bucket: r.bucket, key: r.key, size: size, etag: md5, lastModifiedMs: Self.nowMs(), headers: headers, userMetadata: metadata,
            checksum: stored, parts: [ObjectPart(number: 1, blob: blob.ref, etag: md5, checksum: stored,
                                                 attributes: Self.partAttributes(plan, plainSize: size))],
            tags: tagDirective == "REPLACE" ? described.tags : src.tags,
            storageClass: r.header("x-amz-storage-class") ?? src.storageClass)
        try await commit(record, blob: blob)
        var w = XMLWriter()
        w.open("CopyObjectResult", namespace: true)
        w.element("LastModified", HTTPDate.iso8601(milliseconds: record.lastModifiedMs))
        w.element("ETag", "\"\(md5)\"")
        if r.header("x-amz-checksum-algorithm") != nil { w.element("Checksum" + algorithm.rawValue, checksum) }
        w.close("CopyObjectResult")
        var h = HTTPFields()
        if let mode, let plan {
            for (name, value) in SSEResponseHeaders(mode: mode, operation: .copy, kmsKeyARN: plan.envelope.kmsKeyARN).fields { h.add(name, value) }
        }
        return .xml(w.document, headers: h)
    }
}
