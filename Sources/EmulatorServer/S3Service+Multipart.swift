import AtRestCrypto
import Crypto
import Encryption
import Foundation
import Hummingbird
import S3Wire
import Storage

extension S3Service {
    static let minPartSize: Int64 = 5 * 1024 * 1024

    func newUploadID() -> String {
        var g = SystemRandomNumberGenerator()
        return Base64.encode((0..<48).map { _ in UInt8.random(in: 0...255, using: &g) })
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func createMultipartUpload(_ r: S3Request) async throws -> Response {
        try checkKey(r.key)
        let bucket = try await requireBucket(r.bucket)
        let mode = try chooseWriteMode(r, bucket: bucket, operation: .createMultipartUpload)
        let described = try ObjectHeaders.describe(r.head)
        var algorithm: ChecksumAlgorithm?
        if let a = r.header("x-amz-checksum-algorithm") {
            guard let parsed = ChecksumAlgorithm(name: a) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            algorithm = parsed
        }
        let id = newUploadID()
        // The mode is fixed now (and the KMS key checked by getting a data key); every part gets its own data key.
        var plan: SealingPlan?
        if let mode { plan = try await sealingPlan(mode, bucket: r.bucket, key: r.key, uploadId: id, partNumber: 0, caller: r.auth.accessKey ?? "anonymous") }
        var attributes: [String: String] = [:]
        if let plan { attributes[Self.uploadEnvelopeAttribute] = Base64.encode(plan.envelope.encoded()) }
        let template = ObjectRecord(
            bucket: r.bucket, key: r.key, size: 0, etag: "", lastModifiedMs: 0, headers: described.headers,
            userMetadata: described.metadata, checksum: algorithm.map { StoredChecksum(algorithm: $0.rawValue, value: "", type: "COMPOSITE") },
            parts: [], multipart: true, tags: described.tags, storageClass: described.storageClass, attributes: attributes)
        try await store.createUpload(UploadRecord(id: id, bucket: r.bucket, key: r.key, initiatedMs: Self.nowMs(), template: template))
        var w = XMLWriter()
        w.open("InitiateMultipartUploadResult", namespace: true)
        w.element("Bucket", r.bucket)
        w.element("Key", r.key)
        w.element("UploadId", id)
        w.close("InitiateMultipartUploadResult")
        var h = HTTPFields()
        if let algorithm {
            h.add("x-amz-checksum-algorithm", algorithm.rawValue)
            h.add("x-amz-checksum-type", "COMPOSITE")
        }
        if let mode, let plan {
            let headers = SSEResponseHeaders(mode: mode, operation: .createMultipartUpload, kmsKeyARN: plan.envelope.kmsKeyARN)
            for (name, value) in headers.fields { h.add(name, value) }
        }
        return .xml(w.document, headers: h)
    }

    /// The upload's mode (from its template envelope) and the checks on a part's SSE-C headers (E-C13, E-C14).
    func partMode(_ r: S3Request, upload: UploadRecord, operation: SSEOperation, bucket: BucketRecord? = nil) throws(S3Error) -> SSEMode? {
        try SSETransport.checkCustomerKey(r.head, isTLS: r.isTLS, allowSSECOverHTTP: configuration.allowSSECOverHTTP)
        let headers = try SSERequestHeaders.parse(r.head, operation: operation)
        let template = try upload.template.attributes[Self.uploadEnvelopeAttribute].map { text throws(S3Error) in
            guard let bytes = Base64.decode(text), let e = try? EncryptionEnvelope.decode(bytes) else { throw S3Error.internalError }
            return e
        }
        let customer = headers.request.customerKey
        try SSECustomerKeyCheck.checkPart(customerKey: customer, uploadIsSSEC: template?.mode == .sseC, operation: operation,
                                          keyMatches: Self.customerKeyMatches(template))
        if operation == .completeMultipartUpload {
            // Complete needs the SSE-C key only when the upload uses a checksum algorithm (§1.2).
            if template?.mode == .sseC, customer == nil, upload.template.checksum != nil { throw SSEErrors.multipartEncryptionRequired }
            return nil
        }
        guard let template else { return nil }
        switch template.mode {
        case .sseS3: return .sseS3
        case .sseKMS:
            let context = try template.encryptionContext.map { h throws(S3Error) in try SSERequestHeaders.parseContext(h) }
            return .sseKMS(keyId: template.kmsKeyARN ?? SSEMode.awsManagedKeyAlias, context: context,
                           contextHeader: template.encryptionContext, bucketKeyEnabled: template.bucketKeyEnabled)
        case .dsseKMS:
            let context = try template.encryptionContext.map { h throws(S3Error) in try SSERequestHeaders.parseContext(h) }
            return .dsseKMS(keyId: template.kmsKeyARN ?? SSEMode.awsManagedKeyAlias, context: context, contextHeader: template.encryptionContext)
        case .sseC:
            guard let customer else { throw SSEErrors.multipartEncryptionRequired }
            // A bucket that blocks SSE-C blocks the parts of uploads begun before the block too (E-C17).
            if let bucket, bucketEncryption(bucket).rule.blocksSSEC {
                throw SSECDenialContext(principalARN: principalARN(r), operation: operation, bucket: r.bucket, key: r.key).error
            }
            return .sseC(customer)
        }
    }

    /// The upload named by `uploadId`, checked against the request's bucket and key.
    func requireUpload(_ r: S3Request) async throws -> UploadRecord {
        let id = r.query("uploadId") ?? ""
        guard let u = try await store.upload(id: id), u.bucket == r.bucket, u.key == r.key else {
            _ = try await requireBucket(r.bucket)
            throw S3Error.noSuchUpload(id)
        }
        return u
    }

    func partNumber(_ r: S3Request) throws(S3Error) -> Int {
        let text = r.query("partNumber") ?? ""
        guard let n = Int(text), (1...10000).contains(n) else {
            throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: text)
        }
        return n
    }

    func uploadPart(_ r: S3Request) async throws -> Response {
        let number = try partNumber(r)
        let upload = try await requireUpload(r)
        let mode = try partMode(r, upload: upload, operation: .uploadPart, bucket: try await requireBucket(r.bucket))
        var plan: SealingPlan?
        if let mode {
            plan = try await sealingPlan(mode, bucket: r.bucket, key: r.key, uploadId: upload.id, partNumber: number, caller: r.auth.accessKey ?? "anonymous")
        }
        let (blob, digest) = try await ingest(r, sealing: plan)
        let etag = SSEETag.etag(kind: plan?.kind, plaintextMD5: digest.md5)
        var checksum: StoredChecksum?
        if let alg = upload.template.checksum?.algorithm, let c = digest.checksum, c.algorithm.rawValue == alg {
            checksum = StoredChecksum(algorithm: alg, value: c.computed, type: "COMPOSITE")
        } else if let alg = upload.template.checksum?.algorithm, digest.checksum?.algorithm.rawValue != alg, digest.checksumValueSent {
            store.blobs.remove([blob.ref])
            throw S3Error.invalidRequest("Checksum Type mismatch occurred, expected checksum Type: \(alg.lowercased()), actual checksum Type: \(digest.checksum?.algorithm.rawValue.lowercased() ?? "none")")
        }
        do {
            try await store.putPart(
                uploadID: upload.id,
                PartRecord(number: number, blob: blob.ref, etag: etag, lastModifiedMs: Self.nowMs(), checksum: checksum,
                           attributes: Self.partAttributes(plan, plainSize: digest.size, uploadId: upload.id)), blob: blob)
        } catch StorageError.noSuchUpload {
            store.blobs.remove([blob.ref])
            throw S3Error.noSuchUpload(upload.id)
        }
        var h = HTTPFields()
        h.add("ETag", "\"\(etag)\"")
        if let c = digest.checksum, checksum != nil || digest.checksumRequested {
            h.add(c.algorithm.headerName, c.computed)
        }
        for (name, value) in plan?.responseHeaders.fields ?? [] { h.add(name, value) }
        return .empty(.ok, headers: h)
    }

    func uploadPartCopy(_ r: S3Request) async throws -> Response {
        let number = try partNumber(r)
        let upload = try await requireUpload(r)
        let mode = try partMode(r, upload: upload, operation: .uploadPartCopy, bucket: try await requireBucket(r.bucket))
        let opened = try await openCopySource(r)
        let sourceKeys = try await copySourceKeys(r, opened: opened)
        let size = opened.record.size
        var span: ClosedRange<Int64>? = size > 0 ? 0...(size - 1) : nil
        if let rangeText = r.header("x-amz-copy-source-range") {
            guard case .closed(let a, let b)? = ByteRange(header: rangeText), b < size else {
                throw S3Error.invalidArgument("Range specified is not valid for source object of size: \(size)", name: "x-amz-copy-source-range", value: rangeText)
            }
            span = a...b
        }
        let algorithm = upload.template.checksum.flatMap { ChecksumAlgorithm(rawValue: $0.algorithm) } ?? .crc64nvme
        var plan: SealingPlan?
        if let mode {
            plan = try await sealingPlan(mode, bucket: r.bucket, key: r.key, uploadId: upload.id, partNumber: number, caller: r.auth.accessKey ?? "anonymous")
        }
        let (blob, md5, checksum, copied) = try await copyBytes(opened, span: span, sourceKeys: sourceKeys, sealing: plan, checksum: algorithm)
        let stored = upload.template.checksum != nil ? StoredChecksum(algorithm: algorithm.rawValue, value: checksum, type: "COMPOSITE") : nil
        let etag = plan.map { _ in SSEETag.etag(kind: plan?.kind, plaintextMD5: [UInt8](hex: md5) ?? []) } ?? md5
        let part = PartRecord(number: number, blob: blob.ref, etag: etag, lastModifiedMs: Self.nowMs(), checksum: stored,
                              attributes: Self.partAttributes(plan, plainSize: copied, uploadId: upload.id))
        do {
            try await store.putPart(uploadID: upload.id, part, blob: blob)
        } catch StorageError.noSuchUpload {
            store.blobs.remove([blob.ref])
            throw S3Error.noSuchUpload(upload.id)
        }
        var w = XMLWriter()
        w.open("CopyPartResult", namespace: true)
        w.element("LastModified", HTTPDate.iso8601(milliseconds: part.lastModifiedMs))
        w.element("ETag", "\"\(etag)\"")
        if let stored { w.element("Checksum" + stored.algorithm, stored.value) }
        w.close("CopyPartResult")
        var h = HTTPFields()
        for (name, value) in plan?.responseHeaders.fields ?? [] { h.add(name, value) }
        return .xml(w.document, headers: h)
    }

    func completeMultipartUpload(_ r: S3Request) async throws -> Response {
        let upload = try await requireUpload(r)
        _ = try partMode(r, upload: upload, operation: .completeMultipartUpload)
        let doc = try await xmlBody(r)
        guard doc.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML }
        var requested: [(Int, String)] = []
        for p in doc.children("Part") {
            guard let n = p.value("PartNumber").flatMap({ Int($0) }), let etag = p.value("ETag") else { throw S3Error.malformedXML }
            requested.append((n, etag))
        }
        guard !requested.isEmpty else { throw S3Error.invalidRequest("You must specify at least one part") }
        for i in 1..<max(requested.count, 1) where requested[i].0 <= requested[i - 1].0 { throw S3Error.invalidPartOrder }
        let uploaded = Dictionary(uniqueKeysWithValues: try await store.parts(uploadID: upload.id).map { ($0.number, $0) })
        var chosen: [PartRecord] = []
        for (n, etag) in requested {
            guard let p = uploaded[n], Self.etagMatches(etag, p.etag) else { throw S3Error.invalidPart.with(("PartNumber", String(n)), ("ETag", etag)) }
            chosen.append(p)
        }
        for (i, p) in chosen.enumerated() where i < chosen.count - 1 && p.plainSize < Self.minPartSize {
            throw S3Error.entityTooSmall(size: p.plainSize, minimum: Self.minPartSize).with(("PartNumber", String(p.number)), ("ETag", p.etag))
        }
        var md5 = Insecure.MD5()
        for p in chosen { md5.update(data: [UInt8](hex: p.etag) ?? []) }
        let etag = Array(md5.finalize()).hexString + "-\(chosen.count)"
        var checksum: StoredChecksum?
        if let alg = upload.template.checksum.flatMap({ ChecksumAlgorithm(rawValue: $0.algorithm) }), chosen.allSatisfy({ $0.checksum != nil }) {
            var h = ChecksumHasher(alg)
            for p in chosen { h.update(Base64.decode(p.checksum!.value) ?? []) }
            checksum = StoredChecksum(algorithm: alg.rawValue, value: h.finalize() + "-\(chosen.count)", type: "COMPOSITE")
        }
        var record = upload.template
        record.size = chosen.reduce(0) { $0 + $1.plainSize }
        record.attributes[Self.uploadEnvelopeAttribute] = nil
        record.etag = etag
        record.lastModifiedMs = Self.nowMs()
        record.checksum = checksum
        record.parts = chosen.map { ObjectPart(number: $0.number, blob: $0.blob, etag: $0.etag, checksum: $0.checksum, attributes: $0.attributes) }
        do {
            try await store.completeUpload(id: upload.id, record: record)
        } catch StorageError.noSuchUpload {
            throw S3Error.noSuchUpload(upload.id)
        }
        let scheme = r.isTLS ? "https" : "http"
        let host = r.header("host") ?? "localhost"
        var w = XMLWriter()
        w.open("CompleteMultipartUploadResult", namespace: true)
        w.element("Location", "\(scheme)://\(host)/\(URIEncoding.encode(r.bucket))/\(URIEncoding.encode(r.key, keepSlash: true))")
        w.element("Bucket", r.bucket)
        w.element("Key", r.key)
        w.element("ETag", "\"\(etag)\"")
        if let checksum {
            w.element("Checksum" + checksum.algorithm, checksum.value)
            w.element("ChecksumType", checksum.type)
        }
        w.close("CompleteMultipartUploadResult")
        var h = HTTPFields()
        for (name, value) in Self.responseHeaders(record, operation: .completeMultipartUpload).fields { h.add(name, value) }
        return .xml(w.document, headers: h)
    }

    func abortMultipartUpload(_ r: S3Request) async throws -> Response {
        let upload = try await requireUpload(r)
        do {
            try await store.abortUpload(id: upload.id)
        } catch StorageError.noSuchUpload {
            throw S3Error.noSuchUpload(upload.id)
        }
        return .empty(.noContent)
    }

    func listParts(_ r: S3Request) async throws -> Response {
        let upload = try await requireUpload(r)
        let maxParts = try limit(r, "max-parts")
        let marker = Int(r.query("part-number-marker") ?? "") ?? 0
        let parts = try await store.parts(uploadID: upload.id, after: marker, limit: maxParts + 1)
        let page = parts.prefix(maxParts)
        var w = XMLWriter()
        w.open("ListPartsResult", namespace: true)
        w.element("Bucket", r.bucket)
        w.element("Key", r.key)
        w.element("UploadId", upload.id)
        w.element("PartNumberMarker", String(marker))
        w.element("NextPartNumberMarker", String(page.last?.number ?? 0))
        w.element("MaxParts", String(maxParts))
        w.element("IsTruncated", parts.count > maxParts ? "true" : "false")
        for p in page {
            w.open("Part")
            w.element("PartNumber", String(p.number))
            w.element("LastModified", HTTPDate.iso8601(milliseconds: p.lastModifiedMs))
            w.element("ETag", "\"\(p.etag)\"")
            w.element("Size", String(p.plainSize))
            if let c = p.checksum { w.element("Checksum" + c.algorithm, c.value) }
            w.close("Part")
        }
        writeOwner(&w, element: "Initiator")
        writeOwner(&w)
        w.element("StorageClass", upload.template.storageClass)
        if let c = upload.template.checksum {
            w.element("ChecksumAlgorithm", c.algorithm)
            w.element("ChecksumType", c.type)
        }
        w.close("ListPartsResult")
        return .xml(w.document)
    }

    func listMultipartUploads(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        let maxUploads = try limit(r, "max-uploads")
        let prefix = r.query("prefix") ?? ""
        let delimiter = r.query("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let keyMarker = r.query("key-marker")
        let idMarker = r.query("upload-id-marker")
        let url = try encodingType(r)
        let enc: (String) -> String = { url ? URIEncoding.encode($0, keepSlash: true) : $0 }
        let candidates = try await store.listUploads(
            bucket: r.bucket, prefix: prefix, keyMarker: keyMarker, uploadIDMarker: idMarker, limit: 100_000)
        // Roll keys up to the delimiter into common prefixes; both count toward max-uploads.
        var uploads: [UploadRecord] = []
        var prefixes: [String] = []
        var truncated = false
        for u in candidates {
            var cp: String?
            if let delimiter, let range = u.key.dropFirst(prefix.count).range(of: delimiter) { cp = String(u.key[..<range.upperBound]) }
            if let cp, cp == prefixes.last { continue }
            if uploads.count + prefixes.count == maxUploads {
                truncated = true
                break
            }
            if let cp, keyMarker.map({ cp > $0 }) ?? true { prefixes.append(cp) } else if cp == nil { uploads.append(u) }
        }
        var w = XMLWriter()
        w.open("ListMultipartUploadsResult", namespace: true)
        w.element("Bucket", r.bucket)
        w.element("KeyMarker", enc(keyMarker ?? ""))
        w.element("UploadIdMarker", idMarker ?? "")
        if truncated {
            if let lastPrefix = prefixes.last, lastPrefix > (uploads.last?.key ?? "") {
                w.element("NextKeyMarker", enc(lastPrefix))
            } else if let last = uploads.last {
                w.element("NextKeyMarker", enc(last.key))
                w.element("NextUploadIdMarker", last.id)
            }
        }
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        w.element("Prefix", enc(prefix))
        w.element("MaxUploads", String(maxUploads))
        w.element("IsTruncated", truncated ? "true" : "false")
        for u in uploads {
            w.open("Upload")
            w.element("Key", enc(u.key))
            w.element("UploadId", u.id)
            writeOwner(&w, element: "Initiator")
            writeOwner(&w)
            w.element("StorageClass", u.template.storageClass)
            w.element("Initiated", HTTPDate.iso8601(milliseconds: u.initiatedMs))
            w.close("Upload")
        }
        writeCommonPrefixes(&w, prefixes, enc)
        if url { w.element("EncodingType", "url") }
        w.close("ListMultipartUploadsResult")
        return .xml(w.document)
    }
}
