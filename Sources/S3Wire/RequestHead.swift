/// The parts of an HTTP request that addressing and signing read, independent of any HTTP library.
public struct RequestHead: Sendable {
    /// `GET`, `PUT`, …
    public var method: String
    /// The request-target's path, still percent-encoded, exactly as sent.
    public var rawPath: String
    /// The raw query string after `?` (empty when none).
    public var rawQuery: String
    /// Header fields with lower-cased names, `host` included, in arrival order.
    public var headers: [(String, String)]
    /// Decoded query items (nil when the query has a malformed escape).
    public let query: [(String, String)]?

    public init(method: String, rawPath: String, rawQuery: String, headers: [(String, String)]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers.map { ($0.0.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? $0.0.lowercased() : $0.0, $0.1) }
        self.query = URIEncoding.parseQuery(rawQuery)
    }

    /// Splits a request-target (`/path?query`) into path and query.
    public init(method: String, target: String, headers: [(String, String)]) {
        if let q = target.firstIndex(of: "?") {
            self.init(method: method, rawPath: String(target[..<q]), rawQuery: String(target[target.index(after: q)...]), headers: headers)
        } else {
            self.init(method: method, rawPath: target, rawQuery: "", headers: headers)
        }
    }

    /// S3's limit on a request's header section, in bytes (`RequestHeaderSectionTooLarge` above it).
    public static let maxHeaderSectionSize = 8192

    /// The header section's size as sent: `name: value` and CRLF for each field, `Host` included, the request line
    /// not.
    public var headerSectionSize: Int { headers.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 } }

    /// First value of a header. Stored names are lower-case; pass a lower-case name (any other is lower-cased first).
    public func header(_ name: String) -> String? {
        let n = name.utf8.contains { $0 >= 0x41 && $0 <= 0x5A } ? name.lowercased() : name
        for (k, v) in headers where k == n { return v }
        return nil
    }

    /// First value of a query parameter.
    public func queryValue(_ name: String) -> String? { query?.first { $0.0 == name }?.1 }

    /// Whether the query has this parameter (with or without a value).
    public func hasQuery(_ name: String) -> Bool { query?.contains { $0.0 == name } ?? false }
}
