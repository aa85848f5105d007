import AtRestCrypto
import Crypto
import Encryption
import Hummingbird
import NIOCore
import S3Wire
import Storage

extension S3Service {
    static let maxKeyBytes = 1024
    static let readChunk = 1024 * 1024
    /// Chunks of a large GET read and decrypted at the same time: on one thread, reading and opening 1 MiB takes
    /// longer than writing it to a local socket, so a single producer bounded the response.
    static let readWorkers = 2

    func checkKey(_ key: String) throws(S3Error) {
        guard key.utf8.count <= Self.maxKeyBytes else { throw S3Error.keyTooLong.with(("Size", String(key.utf8.count)), ("MaxSizeAllowed", "1024")) }
    }

    /// Streams a request body into a new blob (sealed segment by segment when `sealing` is given: hashes and
    /// checksums are of the plaintext, the blob holds only ciphertext); nothing is kept if any check fails.
    func ingest(_ r: S3Request, maxSize: Int64 = 5 * 1024 * 1024 * 1024, sealing: SealingPlan? = nil) async throws -> (PendingBlob, BodyDigest) {
        let reader = try BodyReader(head: r.head, auth: r.auth)
        let target = BlobSink(writer: store.blobs.makeWriter(), keys: sealing?.keys)
        var blob: PendingBlob?
        do {
            // Modes with a random ETag need no MD5 (unless Content-MD5 asks for one).
            let digest = try await reader.read(
                r.body, maxSize: maxSize, needsMD5: !(sealing?.kind.hasRandomETag ?? false), sink: target.write
            ) {
                blob = try await target.finish()  // fsync while the hashes catch up
            }
            guard let blob else { throw S3Error.internalError }
            return (blob, digest)
        } catch {
            if let blob { store.blobs.remove([blob.ref]) } else { target.discard() }
            throw error
        }
    }

    func putObject(_ r: S3Request) async throws -> Response {
        try checkKey(r.key)
        let bucket = try await requireBucket(r.bucket)
        let mode = try chooseWriteMode(r, bucket: bucket, operation: .put)
        let described = try ObjectHeaders.describe(r.head)
        if r.header("if-match") != nil || r.header("if-none-match") != nil {
            if let existing = try await store.object(bucket: r.bucket, key: r.key) {
                try checkWriteConditions(r.head, existing: existing)
            } else if r.header("if-match") != nil {
                throw S3Error.noSuchKey(r.key)
            }
        }
        var plan: SealingPlan?
        if let mode { plan = try await sealingPlan(mode, bucket: r.bucket, key: r.key, caller: r.auth.accessKey ?? "anonymous") }
        let (blob, digest) = try await ingest(r, sealing: plan)
        let etag = SSEETag.etag(kind: plan?.kind, plaintextMD5: digest.md5)
        let checksum = digest.checksum.map { StoredChecksum(algorithm: $0.algorithm.rawValue, value: $0.computed, type: "FULL_OBJECT") }
        let record = ObjectRecord(
            bucket: r.bucket, key: r.key, size: digest.size, etag: etag, lastModifiedMs: Self.nowMs(), headers: described.headers,
            userMetadata: described.metadata, checksum: checksum,
            parts: [ObjectPart(number: 1, blob: blob.ref, etag: etag, checksum: checksum,
                               attributes: Self.partAttributes(plan, plainSize: digest.size))],
            tags: described.tags, storageClass: described.storageClass)
        try await commit(record, blob: blob)
        var h = HTTPFields()
        h.add("ETag", "\"\(etag)\"")
        for (name, value) in plan?.responseHeaders.fields ?? [] { h.add(name, value) }
        if let c = digest.checksum, digest.checksumRequested {
            h.add(c.algorithm.headerName, c.computed)
            h.add("x-amz-checksum-type", "FULL_OBJECT")
        }
        return .empty(.ok, headers: h)
    }

    /// `If-Match` / `If-None-Match: *` on writes (conditional writes).
    func checkWriteConditions(_ head: RequestHead, existing: ObjectRecord) throws(S3Error) {
        if let inm = head.header("if-none-match"), inm.trimmingASCIIWhitespace() == "*" || Self.etagMatches(inm, existing.etag) {
            throw S3Error.preconditionFailed("If-None-Match")
        }
        if let im = head.header("if-match"), !Self.etagMatches(im, existing.etag) { throw S3Error.preconditionFailed("If-Match") }
    }

    static func etagMatches(_ header: String, _ etag: String) -> Bool {
        for item in header.splitASCII(UInt8(ascii: ",")) {
            var t = item.trimmingASCIIWhitespace()
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            if t.hasPrefix("\"") && t.hasSuffix("\"") && t.count >= 2 { t = t.dropFirst().dropLast() }
            if t == etag { return true }
        }
        return false
    }

    enum ReadCondition { case proceed, notModified, failed(String) }

    /// RFC 7232 evaluation as S3 does it: If-Match, then If-Unmodified-Since (ignored when If-Match holds), then
    /// If-None-Match, then If-Modified-Since (ignored when If-None-Match is present).
    static func evaluateReadConditions(
        ifMatch: String?, ifNoneMatch: String?, ifModifiedSince: String?, ifUnmodifiedSince: String?, etag: String, lastModifiedMs: Int64
    ) -> ReadCondition {
        let modified = lastModifiedMs / 1000
        if let im = ifMatch {
            if !etagMatches(im, etag) { return .failed("If-Match") }
        } else if let ius = ifUnmodifiedSince, let t = HTTPDate.parse(ius), modified > t {
            return .failed("If-Unmodified-Since")
        }
        if let inm = ifNoneMatch {
            if etagMatches(inm, etag) { return .notModified }
        } else if let ims = ifModifiedSince, let t = HTTPDate.parse(ims), modified <= t {
            return .notModified
        }
        return .proceed
    }

    func getObject(_ r: S3Request, headOnly: Bool) async throws -> Response {
        let operation: SSEOperation = headOnly ? .head : .get
        try SSETransport.checkCustomerKey(r.head, isTLS: r.isTLS, allowSSECOverHTTP: configuration.allowSSECOverHTTP)
        _ = try await requireBucket(r.bucket)
        guard let opened = try await openForReading(bucket: r.bucket, key: r.key) else {
            if headOnly { throw S3Error(status: 404, code: "NoSuchKey", message: "") }
            throw S3Error.noSuchKey(r.key)
        }
        let o = opened.record
        let sse = try SSERequestHeaders.parse(r.head, operation: operation)
        let keys = try await openingKeys(r, record: o, operation: operation, customerKey: sse.request.customerKey)
        switch Self.evaluateReadConditions(
            ifMatch: r.header("if-match"), ifNoneMatch: r.header("if-none-match"), ifModifiedSince: r.header("if-modified-since"),
            ifUnmodifiedSince: r.header("if-unmodified-since"), etag: o.etag, lastModifiedMs: o.lastModifiedMs)
        {
        case .failed(let condition): throw S3Error.preconditionFailed(condition)
        case .notModified:
            var h = HTTPFields()
            h.add("ETag", "\"\(o.etag)\"")
            h.add("Last-Modified", HTTPDate.rfc1123(o.lastModifiedMs / 1000))
            return Response(status: .notModified, headers: h, body: ResponseBody())
        case .proceed: break
        }
        var partNumber: Int?
        var range: ClosedRange<Int64>? = nil
        if let pn = r.query("partNumber") {
            guard let n = Int(pn), n >= 1, n <= 10000 else {
                throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: pn)
            }
            if r.header("range") != nil { throw S3Error.invalidRequest("Cannot specify both Range header and partNumber query parameter") }
            guard n <= o.parts.count else {
                throw S3Error(status: 416, code: "InvalidPartNumber", message: "The requested partnumber is not satisfiable", fields: [("PartNumberRequested", pn), ("ActualPartCount", String(o.parts.count))])
            }
            partNumber = n
            let start = o.parts[..<(n - 1)].reduce(Int64(0)) { $0 + $1.plainSize }
            let size = o.parts[n - 1].plainSize
            range = size > 0 ? start...(start + size - 1) : nil
        } else if let rangeText = r.header("range"), let parsed = ByteRange(header: rangeText) {
            guard let resolved = parsed.resolve(size: o.size) else { throw S3Error.invalidRange(requested: rangeText, size: o.size) }
            range = resolved
        }
        let checksumMode = r.header("x-amz-checksum-mode")?.uppercased() == "ENABLED"
        var h = ObjectHeaders.response(for: o, head: r.head, includeChecksum: checksumMode && (range == nil || partNumber != nil), partNumber: partNumber)
        for (name, value) in Self.responseHeaders(o, operation: operation).fields { h.add(name, value) }
        let status: HTTPResponse.Status
        let span: ClosedRange<Int64>?
        if let range {
            status = .partialContent
            h.add("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(o.size)")
            span = range
        } else if partNumber != nil {
            status = .partialContent  // empty part of an empty object
            span = nil
        } else {
            status = .ok
            span = o.size > 0 ? 0...(o.size - 1) : nil
        }
        let length = span.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        h[.contentLength] = String(length)
        if headOnly { return Response(status: status, headers: h, body: ResponseBody()) }
        if let span, length <= Int64(Self.readChunk) {
            // Small: one buffer, so head, body and end leave in one write.
            var whole = ByteBufferAllocator().buffer(capacity: Int(length))
            try await Self.forEachChunk(opened, span: span, keys: keys, allocator: ByteBufferAllocator()) { var b = $0; whole.writeBuffer(&b) }
            return Response(status: status, headers: h, body: ResponseBody(byteBuffer: whole))
        }
        return Response(status: status, headers: h, body: Self.stream(opened, span: span, keys: keys))
    }

    /// A response body that reads the parts of `opened` covering `span`: read and decrypted ahead on pool threads,
    /// `readWorkers` chunks at a time (``ReadAhead``), while the event loop writes what is ready.
    static func stream(_ opened: OpenedObject, span: ClosedRange<Int64>?, keys: [SegmentKeys?]) -> ResponseBody {
        guard let span else { return ResponseBody() }
        let length = Int(span.upperBound - span.lowerBound + 1)
        return ResponseBody(contentLength: length) { writer in
            var chunks = PlaintextChunks(opened, span: span, keys: keys, chunkSize: readChunk, workers: readWorkers)
            let ahead = ReadAhead(depth: 4, parallel: readWorkers) { () throws -> ReadAhead.Job? in
                guard let job = try chunks.nextJob() else { return nil }
                return { try job.run() }
            }
            do {
                while let chunk = try await ahead.next() { try await writer.write(chunk) }
            } catch {
                ahead.cancel()
                throw error
            }
            try await writer.finish(nil)
        }
    }

    /// Visits the plaintext bytes of `span` in order, in chunks of at most about `readChunk` (``PlaintextChunks``).
    static func forEachChunk(
        _ opened: OpenedObject, span: ClosedRange<Int64>, keys: [SegmentKeys?] = [], allocator: ByteBufferAllocator,
        _ body: (ByteBuffer) async throws -> Void
    ) async throws {
        var chunks = PlaintextChunks(opened, span: span, keys: keys, chunkSize: readChunk, allocator: allocator)
        while let chunk = try chunks.next() { try await body(chunk) }
    }

    func deleteObject(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        if let im = r.header("if-match") {
            guard let existing = try await store.object(bucket: r.bucket, key: r.key) else { throw S3Error.noSuchKey(r.key) }
            if !Self.etagMatches(im, existing.etag) { throw S3Error.preconditionFailed("If-Match") }
        }
        try await store.deleteObject(bucket: r.bucket, key: r.key)
        return .empty(.noContent)
    }

    func deleteObjects(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        let reader = try BodyReader(head: r.head, auth: r.auth)
        guard reader.contentMD5 != nil || reader.checksumValueSent else {
            throw S3Error.invalidRequest("Missing required header for this request: Content-MD5")
        }
        let doc = try await xmlBody(r, reader: reader)
        guard doc.name == "Delete" else { throw S3Error.malformedXML }
        let objects = doc.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML }
        let quiet = doc.value("Quiet")?.lowercased() == "true"
        var w = XMLWriter()
        w.open("DeleteResult", namespace: true)
        for o in objects {
            guard let key = o.value("Key") else { throw S3Error.malformedXML }
            if key.utf8.count > Self.maxKeyBytes {
                w.open("Error")
                w.element("Key", key)
                w.element("Code", "KeyTooLongError")
                w.element("Message", "Your key is too long")
                w.close("Error")
                continue
            }
            try await store.deleteObject(bucket: r.bucket, key: key)
            if !quiet {
                w.open("Deleted")
                w.element("Key", key)
                if let v = o.value("VersionId") { w.element("VersionId", v) }
                w.close("Deleted")
            }
        }
        w.close("DeleteResult")
        return .xml(w.document)
    }

    func requireObject(_ r: S3Request) async throws -> ObjectRecord {
        _ = try await requireBucket(r.bucket)
        guard let o = try await store.object(bucket: r.bucket, key: r.key) else { throw S3Error.noSuchKey(r.key) }
        return o
    }

    func getObjectAttributes(_ r: S3Request) async throws -> Response {
        let wanted = Set(
            (r.header("x-amz-object-attributes") ?? "").splitASCII(UInt8(ascii: ",")).map { String($0.trimmingASCIIWhitespace()) }.filter { !$0.isEmpty })
        guard !wanted.isEmpty else {
            throw S3Error.invalidArgument("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty", name: "x-amz-object-attributes")
        }
        let valid: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
        if let bad = wanted.first(where: { !valid.contains($0) }) {
            throw S3Error.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes", value: bad)
        }
        try SSETransport.checkCustomerKey(r.head, isTLS: r.isTLS, allowSSECOverHTTP: configuration.allowSSECOverHTTP)
        let o = try await requireObject(r)
        let sse = try SSERequestHeaders.parse(r.head, operation: .getObjectAttributes)
        let first = try Self.firstEnvelope(o)
        try SSECustomerKeyCheck.checkRead(customerKey: sse.request.customerKey, objectIsSSEC: first?.mode == .sseC,
                                          keyMatches: Self.customerKeyMatches(first))
        var w = XMLWriter()
        w.open("GetObjectAttributesResponse", namespace: true)
        if wanted.contains("ETag") { w.element("ETag", o.etag) }
        if wanted.contains("Checksum"), let c = o.checksum {
            w.open("Checksum")
            w.element("Checksum" + c.algorithm, c.value)
            w.element("ChecksumType", c.type)
            w.close("Checksum")
        }
        if wanted.contains("ObjectParts"), o.multipart {
            let maxParts = Int(r.header("x-amz-max-parts") ?? "") ?? 1000
            let marker = Int(r.header("x-amz-part-number-marker") ?? "") ?? 0
            let parts = o.parts.filter { $0.number > marker }
            let page = parts.prefix(maxParts)
            w.open("ObjectParts")
            w.element("PartsCount", String(o.parts.count))
            w.element("PartNumberMarker", String(marker))
            w.element("NextPartNumberMarker", String(page.last?.number ?? marker))
            w.element("MaxParts", String(maxParts))
            w.element("IsTruncated", parts.count > page.count ? "true" : "false")
            for p in page {
                w.open("Part")
                w.element("PartNumber", String(p.number))
                w.element("Size", String(p.plainSize))
                if let c = p.checksum { w.element("Checksum" + c.algorithm, c.value) }
                w.close("Part")
            }
            w.close("ObjectParts")
        }
        if wanted.contains("StorageClass") { w.element("StorageClass", o.storageClass) }
        if wanted.contains("ObjectSize") { w.element("ObjectSize", String(o.size)) }
        w.close("GetObjectAttributesResponse")
        var h = HTTPFields()
        h.add("Last-Modified", HTTPDate.rfc1123(o.lastModifiedMs / 1000))
        return .xml(w.document, headers: h)
    }

    func getObjectTagging(_ r: S3Request) async throws -> Response {
        let o = try await requireObject(r)
        var w = XMLWriter()
        w.open("Tagging", namespace: true)
        w.open("TagSet")
        for t in o.tags {
            w.open("Tag")
            w.element("Key", t[0])
            w.element("Value", t[1])
            w.close("Tag")
        }
        w.close("TagSet")
        w.close("Tagging")
        return .xml(w.document)
    }

    func putObjectTagging(_ r: S3Request) async throws -> Response {
        var o = try await requireObject(r)
        let doc = try await xmlBody(r)
        guard doc.name == "Tagging", let set = doc.child("TagSet") else { throw S3Error.malformedXML }
        var tags: [[String]] = []
        for t in set.children("Tag") {
            guard let k = t.value("Key"), let v = t.value("Value") else { throw S3Error.malformedXML }
            tags.append([k, v])
        }
        o.tags = try ObjectHeaders.validateTags(tags)
        try await store.updateObject(o)
        return .empty(.ok)
    }

    func deleteObjectTagging(_ r: S3Request) async throws -> Response {
        var o = try await requireObject(r)
        o.tags = []
        try await store.updateObject(o)
        return .empty(.noContent)
    }
}
