import HTTPTypes
import Hummingbird
import S3Wire
import Storage

/// Request headers that describe a new object, and the response headers of a stored one.
enum ObjectHeaders {
    /// Standard headers stored with an object and returned on GET/HEAD.
    static let stored = [
        "content-type", "cache-control", "content-disposition", "content-encoding", "content-language", "expires",
        "x-amz-website-redirect-location",
    ]
    static let storageClasses: Set<String> = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE",
        "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE",
    ]
    static let maxUserMetadataBytes = 2048

    /// Stored headers, user metadata, tags and storage class from a request.
    static func describe(_ head: RequestHead, includeTags: Bool = true) throws(S3Error) -> (
        headers: [String: String], metadata: [[String]], tags: [[String]], storageClass: String
    ) {
        var headers: [String: String] = [:]
        for name in stored {
            guard var v = head.header(name) else { continue }
            if name == "content-encoding" {
                // aws-chunked is transfer framing, not a property of the object.
                v = v.split(separator: ",").map { $0.trimmingASCIIWhitespace() }.filter { $0.lowercased() != "aws-chunked" }
                    .joined(separator: ",")
                if v.isEmpty { continue }
            }
            headers[name] = v
        }
        var metadata: [[String]] = []
        var metaBytes = 0
        for (name, value) in head.headers where name.hasPrefix("x-amz-meta-") {
            let short = String(name.dropFirst("x-amz-meta-".count))
            metaBytes += short.utf8.count + value.utf8.count
            if let i = metadata.firstIndex(where: { $0[0] == short }) {
                metadata[i][1] += "," + value
            } else {
                metadata.append([short, value])
            }
        }
        if metaBytes > maxUserMetadataBytes { throw S3Error.metadataTooLarge.with(("Size", String(metaBytes)), ("MaxSizeAllowed", "2048")) }
        var tags: [[String]] = []
        if includeTags, let tagging = head.header("x-amz-tagging") {
            tags = try parseTagging(tagging)
        }
        let storageClass = head.header("x-amz-storage-class") ?? "STANDARD"
        guard storageClasses.contains(storageClass) else {
            throw S3Error(status: 400, code: "InvalidStorageClass", message: "The storage class you specified is not valid")
        }
        return (headers, metadata, tags, storageClass)
    }

    /// Parses `x-amz-tagging` (`k1=v1&k2=v2`, URL-encoded).
    static func parseTagging(_ text: String) throws(S3Error) -> [[String]] {
        guard let items = URIEncoding.parseQuery(text.replacingOccurrences(of: "+", with: "%20")) else {
            throw S3Error.invalidArgument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", name: "x-amz-tagging", value: text)
        }
        return try validateTags(items.map { [$0.0, $0.1] })
    }

    static func validateTags(_ tags: [[String]]) throws(S3Error) -> [[String]] {
        guard tags.count <= 10 else { throw S3Error(status: 400, code: "BadRequest", message: "Object tags cannot be greater than 10") }
        var seen = Set<String>()
        for t in tags {
            guard seen.insert(t[0]).inserted else {
                throw S3Error.invalidArgument("Cannot provide multiple Tags with the same key", name: "x-amz-tagging")
            }
            guard !t[0].isEmpty, t[0].count <= 128 else { throw S3Error(status: 400, code: "InvalidTag", message: "The TagKey you have provided is invalid") }
            guard t[1].count <= 256 else { throw S3Error(status: 400, code: "InvalidTag", message: "The TagValue you have provided is invalid") }
        }
        return tags
    }

    /// Response headers describing a stored object (not Content-Length or ranges).
    static func response(for o: ObjectRecord, head: RequestHead, includeChecksum: Bool, partNumber: Int? = nil) -> HTTPFields {
        var h = HTTPFields()
        h.add("Last-Modified", HTTPDate.rfc1123(o.lastModifiedMs / 1000))
        h.add("ETag", "\"\(o.etag)\"")
        h.add("Content-Type", o.headers["content-type"] ?? "binary/octet-stream")
        h.add("Accept-Ranges", "bytes")
        for name in stored where name != "content-type" {
            if let v = o.headers[name] { h.add(name, v) }
        }
        for kv in o.userMetadata { h.add("x-amz-meta-" + kv[0], kv[1]) }
        if o.storageClass != "STANDARD" { h.add("x-amz-storage-class", o.storageClass) }
        if !o.tags.isEmpty && head.method == "GET" { h.add("x-amz-tagging-count", String(o.tags.count)) }
        if o.multipart && partNumber != nil { h.add("x-amz-mp-parts-count", String(o.parts.count)) }
        if includeChecksum {
            if let n = partNumber, o.multipart {
                if let c = o.parts.first(where: { $0.number == n })?.checksum {
                    h.add("x-amz-checksum-" + c.algorithm.lowercased(), c.value)
                    h.add("x-amz-checksum-type", c.type)
                }
            } else if let c = o.checksum {
                h.add("x-amz-checksum-" + c.algorithm.lowercased(), c.value)
                h.add("x-amz-checksum-type", c.type)
            }
        }
        // response-* overrides (signed requests only, as S3).
        let overrides = [
            ("response-content-type", "Content-Type"), ("response-content-language", "Content-Language"),
            ("response-expires", "Expires"), ("response-cache-control", "Cache-Control"),
            ("response-content-disposition", "Content-Disposition"), ("response-content-encoding", "Content-Encoding"),
        ]
        for (param, header) in overrides {
            if let v = head.queryValue(param), let name = HTTPField.Name(header) { h[name] = v }
        }
        return h
    }
}
