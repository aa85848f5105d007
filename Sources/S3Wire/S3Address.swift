/// Where a request points: the bucket and key, from virtual-hosted-style (`bucket.s3.localhost`) or path-style
/// (`/bucket/key`) addressing.
public struct S3Address: Sendable, Equatable {
    public var bucket: String?
    public var key: String?
    /// Whether the bucket came from the Host header.
    public var virtualHosted: Bool

    public init(bucket: String?, key: String?, virtualHosted: Bool) {
        self.bucket = bucket
        self.key = key
        self.virtualHosted = virtualHosted
    }

    /// Host suffixes under which the first label names a bucket (`b.s3.localhost`, `b.localhost`).
    public static let defaultBaseDomains = ["s3.localhost", "localhost"]

    /// Resolves `host` (port allowed) and the raw path. Returns nil when the path has a malformed escape.
    public static func resolve(host: String?, rawPath: String, baseDomains: [String] = defaultBaseDomains) -> S3Address? {
        guard let path = URIEncoding.decode(rawPath) else { return nil }
        if let bucket = virtualHostBucket(host: host, baseDomains: baseDomains) {
            let key = path.hasPrefix("/") ? String(path.dropFirst()) : path
            return S3Address(bucket: bucket, key: key.isEmpty ? nil : key, virtualHosted: true)
        }
        var rest = Substring(path)
        if rest.hasPrefix("/") { rest = rest.dropFirst() }
        if rest.isEmpty { return S3Address(bucket: nil, key: nil, virtualHosted: false) }
        if let slash = rest.firstIndex(of: "/") {
            let key = rest[rest.index(after: slash)...]
            return S3Address(bucket: String(rest[..<slash]), key: key.isEmpty ? nil : String(key), virtualHosted: false)
        }
        return S3Address(bucket: String(rest), key: nil, virtualHosted: false)
    }

    /// The bucket named by the Host header, if any: `b.s3.localhost`, `b.localhost`, `b.s3.amazonaws.com`,
    /// `b.s3.us-east-1.amazonaws.com`. IP literals and the bare endpoint names are path-style.
    public static func virtualHostBucket(host: String?, baseDomains: [String] = defaultBaseDomains) -> String? {
        guard var h = host?.lowercased(), !h.isEmpty, !h.hasPrefix("[") else { return nil }
        if let colon = h.lastIndex(of: ":") { h = String(h[..<colon]) }
        if h.last == "." { h.removeLast() }
        for base in baseDomains where h.hasSuffix("." + base) {
            let label = String(h.dropLast(base.count + 1))
            if label.isEmpty || label == "s3" { continue }
            return label
        }
        if h.hasSuffix(".amazonaws.com") {
            let labels = h.dropLast(".amazonaws.com".count).splitASCII(UInt8(ascii: "."))
            if let s3 = labels.firstIndex(where: { $0 == "s3" || $0.hasPrefix("s3-") }), s3 > 0 {
                return labels[..<s3].joined(separator: ".")
            }
        }
        return nil
    }
}

/// S3 bucket naming rules (general purpose buckets).
public enum BucketName {
    /// Whether `name` is a valid new bucket name.
    public static func isValid(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (3...63).contains(u.count) else { return false }
        for c in u {
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
            if !ok { return false }
        }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard alnum(u.first!), alnum(u.last!) else { return false }
        if name.contains("..") || name.contains(".-") || name.contains("-.") { return false }
        // Not formatted as an IP address.
        let labels = name.splitASCII(UInt8(ascii: "."), omittingEmptySubsequences: false)
        if labels.count == 4, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) { return false }
        for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(prefix) { return false }
        for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(suffix) { return false }
        return true
    }
}
