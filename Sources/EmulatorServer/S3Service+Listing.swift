import Hummingbird
import S3Wire
import Storage

extension S3Service {
    /// `max-keys`-style parameters: default, capped at 1000, InvalidArgument when not a non-negative integer.
    func limit(_ r: S3Request, _ name: String, default value: Int = 1000) throws(S3Error) -> Int {
        guard let text = r.query(name) else { return value }
        guard let n = Int(text), n >= 0 else {
            throw S3Error.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: text)
        }
        return min(n, 1000)
    }

    func encodingType(_ r: S3Request) throws(S3Error) -> Bool {
        guard let e = r.query("encoding-type") else { return false }
        guard e.lowercased() == "url" else {
            throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: e)
        }
        return true
    }

    func writeContents(_ w: inout XMLWriter, _ o: ObjectRecord, url: Bool, owner: Bool, element: String = "Contents") {
        w.open(element)
        w.element("Key", url ? URIEncoding.encode(o.key, keepSlash: true) : o.key)
        if element == "Version" {
            w.element("VersionId", "null")
            w.element("IsLatest", "true")
        }
        w.element("LastModified", HTTPDate.iso8601(milliseconds: o.lastModifiedMs))
        w.element("ETag", "\"\(o.etag)\"")
        if let c = o.checksum, element == "Contents" {
            w.element("ChecksumAlgorithm", c.algorithm)
            w.element("ChecksumType", c.type)
        }
        w.element("Size", String(o.size))
        if owner { writeOwner(&w) }
        w.element("StorageClass", o.storageClass)
        w.close(element)
    }

    func writeCommonPrefixes(_ w: inout XMLWriter, _ prefixes: [String], _ enc: (String) -> String) {
        for p in prefixes {
            w.open("CommonPrefixes")
            w.element("Prefix", enc(p))
            w.close("CommonPrefixes")
        }
    }

    func listObjects(_ r: S3Request, v2: Bool) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        let url = try encodingType(r)
        let maxKeys = try limit(r, "max-keys")
        let prefix = r.query("prefix") ?? ""
        let delimiter = r.query("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let enc: (String) -> String = { url ? URIEncoding.encode($0, keepSlash: true) : $0 }
        var after: String?
        var token: String?
        if v2 {
            if let t = r.query("continuation-token") {
                guard let bytes = Base64.decode(t), let key = String(validating: bytes, as: UTF8.self) else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: t)
                }
                token = t
                after = key
            } else {
                after = r.query("start-after")
            }
        } else {
            after = r.query("marker")
        }
        let page = try await store.list(bucket: r.bucket, prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
        var w = XMLWriter()
        w.open("ListBucketResult", namespace: true)
        w.element("Name", r.bucket)
        w.element("Prefix", enc(prefix))
        if v2 {
            if let token { w.element("ContinuationToken", token) }
            if page.isTruncated, let last = page.lastReturned { w.element("NextContinuationToken", Base64.encode(Array(last.utf8))) }
            w.element("KeyCount", String(page.objects.count + page.commonPrefixes.count))
        } else {
            w.element("Marker", enc(r.query("marker") ?? ""))
            if page.isTruncated, delimiter != nil, let last = page.lastReturned { w.element("NextMarker", enc(last)) }
        }
        w.element("MaxKeys", String(maxKeys))
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        w.element("IsTruncated", page.isTruncated ? "true" : "false")
        if v2, token == nil, let sa = r.query("start-after") { w.element("StartAfter", enc(sa)) }
        let owner = v2 ? r.query("fetch-owner") == "true" : true
        for o in page.objects { writeContents(&w, o, url: url, owner: owner) }
        writeCommonPrefixes(&w, page.commonPrefixes, enc)
        if url { w.element("EncodingType", "url") }
        w.close("ListBucketResult")
        return .xml(w.document)
    }

    /// Buckets here never have versioning, so every object is its only version, with VersionId `null`.
    func listObjectVersions(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        let url = try encodingType(r)
        let maxKeys = try limit(r, "max-keys")
        let prefix = r.query("prefix") ?? ""
        let delimiter = r.query("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let keyMarker = r.query("key-marker")
        let enc: (String) -> String = { url ? URIEncoding.encode($0, keepSlash: true) : $0 }
        let page = try await store.list(bucket: r.bucket, prefix: prefix, delimiter: delimiter, after: keyMarker, maxKeys: maxKeys)
        var w = XMLWriter()
        w.open("ListVersionsResult", namespace: true)
        w.element("Name", r.bucket)
        w.element("Prefix", enc(prefix))
        w.element("KeyMarker", enc(keyMarker ?? ""))
        w.element("VersionIdMarker", r.query("version-id-marker") ?? "")
        if page.isTruncated, let last = page.lastReturned {
            w.element("NextKeyMarker", enc(last))
            w.element("NextVersionIdMarker", "null")
        }
        w.element("MaxKeys", String(maxKeys))
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        w.element("IsTruncated", page.isTruncated ? "true" : "false")
        for o in page.objects { writeContents(&w, o, url: url, owner: true, element: "Version") }
        writeCommonPrefixes(&w, page.commonPrefixes, enc)
        if url { w.element("EncodingType", "url") }
        w.close("ListVersionsResult")
        return .xml(w.document)
    }
}
