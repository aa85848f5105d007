import AtRestCrypto
import Crypto
import Encryption
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import S3Wire
import Storage

extension S3Service {
    /// POST Object: a browser-form upload authorised by a signed policy document.
    func postObject(_ request: Request, head: RequestHead, address: S3Address, isTLS: Bool) async throws -> Response {
        let bucket = address.bucket ?? ""
        let bucketRecord = try await requireBucket(bucket)
        guard let boundary = head.header("content-type").flatMap(MultipartFormParser.boundary(contentType:)) else {
            throw S3Error.invalidRequest("Bucket POST must be of the enclosure-type multipart/form-data")
        }
        var parser = MultipartFormParser(boundary: boundary)
        var fields: [String: String] = [:]
        var policy: PostPolicy?
        var writer: BlobWriter?
        var md5 = MD5Hasher()
        var crc = ChecksumHasher(.crc64nvme)
        var size: Int64 = 0
        var fileEnded = false
        var fileContentType: String?
        var plan: SealingPlan?
        var sealer: SegmentSealer?
        defer { if !fileEnded { writer?.discard() } }
        do {
            outer: for try await buffer in request.body {
                for event in try parser.feed(Array(buffer.readableBytesView)) {
                    switch event {
                    case .field(let name, let value):
                        if writer == nil { fields[name.lowercased()] = value }
                    case .fileStart(_, let filename, let contentType):
                        fileContentType = contentType
                        if let filename, let key = fields["key"] { fields["key"] = key.replacingOccurrences(of: "${filename}", with: filename) }
                        policy = try authorisePost(fields: fields, bucket: bucket)
                        // The form's SSE fields (or the bucket default) choose the encryption, as headers do on PUT.
                        let sseFields = fields.filter { $0.key.hasPrefix("x-amz-server-side-encryption") }.map { ($0.key, $0.value) }
                        let formRequest = S3Request(
                            head: RequestHead(method: "PUT", rawPath: "/", rawQuery: "", headers: sseFields),
                            address: S3Address(bucket: bucket, key: fields["key"] ?? "", virtualHosted: false), operation: .putObject,
                            auth: Authentication(accessKey: fields["x-amz-credential"].map { String($0.prefix { $0 != "/" }) } ?? fields["awsaccesskeyid"],
                                                 payload: .unsigned, chunkSigning: nil, presigned: false),
                            isTLS: isTLS, requestID: "", body: request.body)
                        if let mode = try chooseWriteMode(formRequest, bucket: bucketRecord, operation: .post) {
                            plan = try await sealingPlan(mode, bucket: bucket, key: fields["key"] ?? "", caller: formRequest.auth.accessKey ?? "anonymous")
                            sealer = SegmentSealer(keys: plan!.keys)
                        }
                        writer = store.blobs.makeWriter()
                    case .fileData(let bytes):
                        size += Int64(bytes.count)
                        if let max = policy?.maxLength, size > max { throw S3Error.entityTooLarge(size: size, maximum: max) }
                        bytes.withUnsafeBytes { p in
                            md5.update(bufferPointer: p)
                            crc.update(p)
                        }
                        if sealer != nil {
                            try bytes.withUnsafeBytes { p in try sealer!.append(p, into: { try writer!.write($0) }) }
                        } else {
                            try bytes.withUnsafeBytes { try writer!.write($0) }
                        }
                    case .fileEnd:
                        fileEnded = true
                        break outer
                    }
                }
            }
        } catch let e as MultipartFormParser.ParseError {
            throw S3Error(status: 400, code: "MalformedPOSTRequest", message: "The body of your POST request is not well-formed multipart/form-data. (\(e.reason))")
        }
        guard fileEnded, let writer else {
            throw S3Error.invalidArgument("POST requires exactly one file upload per request.", name: "file", value: "0")
        }
        try policy?.checkLength(size)
        guard let key = fields["key"], !key.isEmpty else {
            throw S3Error.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", name: "key")
        }
        try checkKey(key)
        var formHead: [(String, String)] = fields.filter { $0.key.hasPrefix("x-amz-meta-") || ObjectHeaders.stored.contains($0.key) }.map { ($0.key, $0.value) }
        if fields["content-type"] == nil, let fileContentType { formHead.append(("content-type", fileContentType)) }
        if let sc = fields["x-amz-storage-class"] { formHead.append(("x-amz-storage-class", sc)) }
        let described = try ObjectHeaders.describe(RequestHead(method: "POST", rawPath: "/", rawQuery: "", headers: formHead), includeTags: false)
        try sealer?.finish(into: { try writer.write($0) })
        let blob = try await writer.finish()
        let etag = SSEETag.etag(kind: plan?.kind, plaintextMD5: md5.finalize())
        let checksum = StoredChecksum(algorithm: "CRC64NVME", value: crc.finalize(), type: "FULL_OBJECT")
        let record = ObjectRecord(
            bucket: bucket, key: key, size: size, etag: etag, lastModifiedMs: Self.nowMs(), headers: described.headers,
            userMetadata: described.metadata, checksum: checksum, parts: [ObjectPart(number: 1, blob: blob.ref, etag: etag, checksum: checksum,
                                                                                   attributes: Self.partAttributes(plan, plainSize: size))],
            storageClass: described.storageClass)
        try await commit(record, blob: blob)
        let scheme = isTLS ? "https" : "http"
        let location = "\(scheme)://\(head.header("host") ?? "localhost")/\(URIEncoding.encode(bucket))/\(URIEncoding.encode(key, keepSlash: true))"
        var h = HTTPFields()
        h.add("ETag", "\"\(etag)\"")
        h.add("Location", location)
        for (name, value) in plan?.responseHeaders.fields ?? [] { h.add(name, value) }
        if let redirect = fields["success_action_redirect"] ?? fields["redirect"], !redirect.isEmpty {
            let sep = redirect.contains("?") ? "&" : "?"
            h[.location] = redirect + sep + "bucket=\(URIEncoding.encode(bucket))&key=\(URIEncoding.encode(key))&etag=\(URIEncoding.encode("\"\(etag)\""))"
            return .empty(.seeOther, headers: h)
        }
        switch fields["success_action_status"] {
        case "200": return .empty(.ok, headers: h)
        case "201":
            var w = XMLWriter()
            w.open("PostResponse")
            w.element("Location", location)
            w.element("Bucket", bucket)
            w.element("Key", key)
            w.element("ETag", "\"\(etag)\"")
            w.close("PostResponse")
            return .xml(w.document, status: .created, headers: h)
        default: return .empty(.noContent, headers: h)
        }
    }

    /// Authenticates the form and evaluates its policy. An unsigned form needs `--allow-anonymous`.
    func authorisePost(fields: [String: String], bucket: String) throws(S3Error) -> PostPolicy? {
        let accessKey = try authenticator.authenticatePostForm(fields)
        guard accessKey != nil || configuration.allowAnonymous else { throw S3Error.accessDenied }
        guard let text = fields["policy"] else { return nil }
        let policy = try PostPolicy(base64: text)
        try policy.evaluate(fields: fields, bucket: bucket, now: Int64(Date().timeIntervalSince1970))
        return policy
    }
}
