/// Signs outgoing requests with AWS Signature Version 4 in the `Authorization` header: the client side of
/// ``SigV4Authenticator``, for when the emulator itself calls an AWS-compatible service (an external KMS).
///
/// ```
/// headers'       = headers ∪ {x-amz-date: timestamp} ∪ {x-amz-security-token} (with a session token)
///                          ∪ {x-amz-content-sha256: hex(SHA256(body))} (when signsContentSHA256)
/// SignedHeaders  = every name of headers', lower-cased, sorted, unique, joined by ";"
/// Authorization  = "AWS4-HMAC-SHA256 Credential=" akid "/" scope ", SignedHeaders=" … ", Signature=" signature
/// ```
/// Every header handed to ``sign(method:path:query:headers:body:timestamp:)`` is signed, so pass only the ones the
/// service expects signed (`host` is required; add `user-agent` or `content-length` after signing). The path is
/// canonicalised the S3 way (decoded and re-encoded once, no dot-segment removal), which is also right for the
/// plain paths other services use (KMS posts to `/`).
public struct SigV4Signer: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyId: String
    /// Never printed: ``description`` redacts it.
    public var secretAccessKey: String
    /// The STS session token, sent and signed as `x-amz-security-token`.
    public var sessionToken: String?
    public var region: String
    /// The SigV4 service name: `kms`, `s3`, …
    public var service: String
    /// Adds and signs `x-amz-content-sha256` (S3 requires it; KMS does not want it).
    public var signsContentSHA256: Bool

    public init(
        accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String,
        signsContentSHA256: Bool = false
    ) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
        self.signsContentSHA256 = signsContentSHA256
    }

    public var description: String {
        let token = sessionToken == nil ? "none" : "<redacted>"
        return "SigV4Signer(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>, sessionToken: \(token), region: \(region), service: \(service))"
    }

    public var debugDescription: String { description }

    /// A signed request: the headers to send and the intermediate texts (for tests and diagnostics).
    public struct Signed: Sendable {
        /// The input headers plus `x-amz-date`, the optional token and payload hash, and `authorization`.
        public var headers: [(String, String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String
        /// The `SignedHeaders` list, `;`-joined.
        public var signedHeaders: String
    }

    /// Signs a request made at `timestamp` (Unix seconds). `path` is the raw request path without the query;
    /// `query` holds decoded name/value pairs; `headers` must include `host` (with the port when it is not the
    /// scheme's default). `payloadHash` replaces the body's SHA-256 (e.g. `UNSIGNED-PAYLOAD` for S3 bodies).
    public func sign(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8], timestamp: Int64,
        payloadHash: String? = nil
    ) -> Signed {
        let amzDate = HTTPDate.amzTimestamp(timestamp)
        let day = String(amzDate.prefix(8))
        let payloadHash = payloadHash ?? SigV4.sha256Hex(body)
        var all = headers
        all.append(("x-amz-date", amzDate))
        if let sessionToken { all.append(("x-amz-security-token", sessionToken)) }
        if signsContentSHA256 { all.append(("x-amz-content-sha256", payloadHash)) }
        let names = Array(Set(all.map { $0.0.lowercased() })).sorted()
        let lowered = all.map { ($0.0.lowercased(), $0.1) }
        let canonical = SigV4.canonicalRequest(
            method: method, canonicalURI: SigV4.canonicalURI(rawPath: path) ?? path, canonicalQuery: SigV4.canonicalQuery(query),
            headers: lowered, signedHeaders: names, payloadHash: payloadHash)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = SigV4.stringToSign(timestamp: amzDate, scope: scope, canonicalRequest: canonical)
        let key = SigV4.signingKey(secret: secretAccessKey, date: day, region: region, service: service)
        let signature = SigV4.sign(stringToSign, key: key)
        let signedHeaders = names.joined(separator: ";")
        let authorization = "\(SigV4.algorithm) Credential=\(accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        all.append(("authorization", authorization))
        return Signed(
            headers: all, canonicalRequest: canonical, stringToSign: stringToSign, signature: signature, authorization: authorization,
            signedHeaders: signedHeaders)
    }
}
