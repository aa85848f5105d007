import Crypto

/// How the body of a SigV4-signed request is protected (`x-amz-content-sha256`).
public enum PayloadSigning: Sendable, Equatable {
    /// `UNSIGNED-PAYLOAD`.
    case unsigned
    /// A hex SHA-256 that the body must match.
    case sha256(String)
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (trailer false) or `…-PAYLOAD-TRAILER` (trailer true): signed chunks.
    case streamingSigned(trailer: Bool)
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without chunk signatures, checksum in a trailer.
    case streamingUnsignedTrailer

    /// Whether the body is `aws-chunked` encoded.
    public var isStreaming: Bool {
        switch self {
        case .streamingSigned, .streamingUnsignedTrailer: return true
        default: return false
        }
    }
}

/// What it takes to verify chunk and trailer signatures of a streaming upload.
public struct ChunkSigningContext: Sendable {
    public var signingKey: SymmetricKey
    public var timestamp: String
    public var scope: String
    public var seedSignature: String
}

/// The outcome of authenticating a request.
public struct Authentication: Sendable {
    /// The access key that signed, nil for an anonymous request.
    public var accessKey: String?
    /// How the body is protected.
    public var payload: PayloadSigning
    /// Present for `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`.
    public var chunkSigning: ChunkSigningContext?
    /// Whether the signature came in the query (a presigned URL).
    public var presigned: Bool
    /// Whether the request was signed with Signature Version 2 (SSE-KMS needs version 4).
    public var signatureV2: Bool

    public init(accessKey: String?, payload: PayloadSigning, chunkSigning: ChunkSigningContext?, presigned: Bool, signatureV2: Bool = false) {
        self.accessKey = accessKey
        self.payload = payload
        self.chunkSigning = chunkSigning
        self.presigned = presigned
        self.signatureV2 = signatureV2
    }

    public static let anonymous = Authentication(accessKey: nil, payload: .unsigned, chunkSigning: nil, presigned: false)
}

/// Verifies AWS Signature Version 4 (header and presigned query forms) for one service.
public struct SigV4Authenticator: Sendable {
    /// Looks up the secret of an access key.
    public var secretForAccessKey: @Sendable (String) -> String?
    /// The signing service name (`s3`, `kms`).
    public var service: String
    /// Now, in seconds since 1970 (injectable for tests).
    public var now: @Sendable () -> Int64
    /// The largest accepted clock difference.
    public var maxSkewSeconds: Int64 = 15 * 60
    /// Derived signing keys, shared by copies of this authenticator.
    let signingKeys = SigV4.SigningKeyCache()

    public init(service: String, now: @escaping @Sendable () -> Int64, secretForAccessKey: @escaping @Sendable (String) -> String?) {
        self.service = service
        self.now = now
        self.secretForAccessKey = secretForAccessKey
    }

    /// Authenticates `head`; returns `.anonymous` when it carries no signature at all. `virtualHostBucket` is the bucket
    /// named by the Host header, which legacy (V2) signatures include in what they sign.
    ///
    /// `bodySHA256` is the hex SHA-256 of a body already read: services other than S3 (KMS) sign it without
    /// sending `x-amz-content-sha256`.
    public func authenticate(_ head: RequestHead, virtualHostBucket: String? = nil, bodySHA256: String? = nil) throws(S3Error) -> Authentication {
        if let auth = head.header("authorization") {
            if auth.hasPrefix(SigV4.algorithm + " ") { return try verifyHeader(head, authorization: auth, bodySHA256: bodySHA256) }
            if auth.hasPrefix("AWS ") { return try SigV2Authenticator(v4: self).verifyHeader(head, authorization: auth, bucket: virtualHostBucket) }
            throw S3Error.invalidArgument("Unsupported Authorization Type", name: "Authorization", value: auth)
        }
        if head.queryValue("X-Amz-Algorithm") != nil || head.queryValue("X-Amz-Credential") != nil {
            return try verifyQuery(head)
        }
        if head.queryValue("AWSAccessKeyId") != nil, head.queryValue("Signature") != nil {
            return try SigV2Authenticator(v4: self).verifyQuery(head, bucket: virtualHostBucket)
        }
        return .anonymous
    }

    struct Credential {
        var accessKey: String
        var date: String
        var region: String
        var service: String
        var scope: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    func parseCredential(_ value: String, malformed: (String) -> S3Error) throws(S3Error) -> Credential {
        let parts = value.splitASCII(UInt8(ascii: "/"), omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[4] == "aws4_request", parts[1].count == 8 else {
            throw malformed("The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        guard parts[3] == service else {
            throw malformed("The authorization header is malformed; incorrect service \"\(parts[3])\". This endpoint belongs to \"\(service)\".")
        }
        return Credential(accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3])
    }

    func verifyHeader(_ head: RequestHead, authorization: String, bodySHA256: String? = nil) throws(S3Error) -> Authentication {
        var fields: [String: String] = [:]
        for item in authorization.dropFirst(SigV4.algorithm.count + 1).splitASCII(UInt8(ascii: ",")) {
            let t = item.trimmingASCIIWhitespace()
            guard let eq = t.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
            fields[String(t[..<eq])] = String(t[t.utf8.index(after: eq)...])
        }
        guard let credentialText = fields["Credential"], let signedText = fields["SignedHeaders"], let signature = fields["Signature"]
        else {
            throw S3Error.authorizationHeaderMalformed(
                "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }
        let credential = try parseCredential(credentialText, malformed: S3Error.authorizationHeaderMalformed)
        guard let secret = secretForAccessKey(credential.accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", credential.accessKey)) }
        guard let timestamp = head.header("x-amz-date") ?? head.header("date").flatMap({ HTTPDate.parse($0).map(HTTPDate.amzTimestamp) })
        else {
            throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
        guard let requestTime = HTTPDate.parseAmzTimestamp(timestamp) else {
            throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
        let serverTime = now()
        if abs(requestTime - serverTime) > maxSkewSeconds {
            throw S3Error.requestTimeTooSkewed(requestTime: timestamp, serverTime: HTTPDate.iso8601(milliseconds: serverTime * 1000))
        }
        guard timestamp.hasPrefix(credential.date) else {
            throw S3Error.authorizationHeaderMalformed(
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        let payloadText: String
        if service == "s3" {
            guard let p = head.header("x-amz-content-sha256") else {
                throw S3Error.invalidRequest("Missing required header for this request: x-amz-content-sha256")
            }
            payloadText = p
        } else {
            payloadText = head.header("x-amz-content-sha256") ?? bodySHA256 ?? ""
        }
        let payload = try Self.payloadSigning(payloadText, service: service)
        let signedHeaders = signedText.splitASCII(UInt8(ascii: ";")).map(String.init)
        guard signedHeaders.contains("host") else {
            throw S3Error.accessDenied("There were headers present in the request which were not signed", fields: [("HeadersNotSigned", "host")])
        }
        try Self.requireSignedEncryptionHeaders(head, signedHeaders: signedHeaders)
        guard let uri = SigV4.canonicalURI(rawPath: head.rawPath), let query = head.query else {
            throw S3Error.invalidArgument("Invalid URI encoding")
        }
        let canonical = SigV4.canonicalRequest(
            method: head.method, canonicalURI: uri, canonicalQuery: SigV4.canonicalQuery(query), headers: head.headers,
            signedHeaders: signedHeaders, payloadHash: payloadText)
        let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: credential.scope, canonicalRequest: canonical)
        let key = signingKeys.key(secret: secret, date: credential.date, region: credential.region, service: service)
        let expected = SigV4.sign(stringToSign, key: key)
        guard SigV4.constantTimeEquals(expected, signature) else {
            throw S3Error.signatureDoesNotMatch(
                accessKey: credential.accessKey, stringToSign: stringToSign, signature: signature, canonicalRequest: canonical)
        }
        var chunk: ChunkSigningContext?
        if case .streamingSigned = payload {
            chunk = ChunkSigningContext(signingKey: key, timestamp: timestamp, scope: credential.scope, seedSignature: signature)
        }
        return Authentication(accessKey: credential.accessKey, payload: payload, chunkSigning: chunk, presigned: false)
    }

    /// Encryption headers must be covered by the signature (S3 answers 403 for an unsigned
    /// `x-amz-server-side-encryption*` header, naming it in `HeadersNotSigned`).
    /// A presigned URL may carry them as signed query parameters instead; the same value as a header is then fine.
    static func requireSignedEncryptionHeaders(_ head: RequestHead, signedHeaders: [String], presigned: Bool = false) throws(S3Error) {
        var unsigned: [String] = []
        for (name, value) in head.headers
        where (name.hasPrefix("x-amz-server-side-encryption") || name.hasPrefix("x-amz-copy-source-server-side-encryption"))
            && !signedHeaders.contains(name)
        {
            if presigned, head.query?.contains(where: { $0.0.lowercased() == name && $0.1 == value }) == true { continue }
            if !unsigned.contains(name) { unsigned.append(name) }
        }
        if !unsigned.isEmpty {
            throw S3Error.accessDenied("There were headers present in the request which were not signed",
                                       fields: [("HeadersNotSigned", unsigned.joined(separator: ", "))])
        }
    }

    static func payloadSigning(_ value: String, service: String) throws(S3Error) -> PayloadSigning {
        switch value {
        case "UNSIGNED-PAYLOAD": return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned(trailer: false)
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSigned(trailer: true)
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
        case "" where service != "s3": return .unsigned
        default:
            let lower = value.lowercased()
            guard lower.utf8.count == 64, lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
                throw S3Error.invalidArgument(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                    name: "x-amz-content-sha256", value: value)
            }
            return .sha256(lower)
        }
    }

    func verifyQuery(_ head: RequestHead) throws(S3Error) -> Authentication {
        let q: (String) -> String? = { head.queryValue($0) }
        let malformed = S3Error.authorizationQueryParametersError
        guard q("X-Amz-Algorithm") == SigV4.algorithm else {
            throw malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        guard let credentialText = q("X-Amz-Credential"), let timestamp = q("X-Amz-Date"), let signedText = q("X-Amz-SignedHeaders"),
            let signature = q("X-Amz-Signature")
        else {
            throw malformed(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard let expiresText = q("X-Amz-Expires"), let expires = Int64(expiresText) else {
            throw malformed("X-Amz-Expires should be a number")
        }
        guard expires >= 0 else { throw malformed("X-Amz-Expires must be non-negative") }
        guard expires <= 604800 else { throw malformed("X-Amz-Expires must be less than a week (in seconds) that is 604800") }
        let credential = try parseCredential(credentialText, malformed: malformed)
        guard let secret = secretForAccessKey(credential.accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", credential.accessKey)) }
        guard let signedAt = HTTPDate.parseAmzTimestamp(timestamp) else {
            throw malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        let serverTime = now()
        if signedAt - serverTime > maxSkewSeconds {
            throw S3Error.accessDenied("Request is not valid yet")
        }
        if serverTime > signedAt + expires {
            throw S3Error.accessDenied(
                "Request has expired",
                fields: [
                    ("X-Amz-Expires", expiresText), ("Expires", HTTPDate.iso8601(milliseconds: (signedAt + expires) * 1000)),
                    ("ServerTime", HTTPDate.iso8601(milliseconds: serverTime * 1000)),
                ])
        }
        let signedHeaders = signedText.splitASCII(UInt8(ascii: ";")).map(String.init)
        try Self.requireSignedEncryptionHeaders(head, signedHeaders: signedHeaders, presigned: true)
        guard let uri = SigV4.canonicalURI(rawPath: head.rawPath), let query = head.query else {
            throw S3Error.invalidArgument("Invalid URI encoding")
        }
        let payloadText = head.header("x-amz-content-sha256") ?? "UNSIGNED-PAYLOAD"
        let payload = try Self.payloadSigning(payloadText, service: service)
        let canonical = SigV4.canonicalRequest(
            method: head.method, canonicalURI: uri, canonicalQuery: SigV4.canonicalQuery(query, excluding: ["X-Amz-Signature"]),
            headers: head.headers, signedHeaders: signedHeaders, payloadHash: payloadText)
        let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: credential.scope, canonicalRequest: canonical)
        let key = signingKeys.key(secret: secret, date: credential.date, region: credential.region, service: service)
        guard SigV4.constantTimeEquals(SigV4.sign(stringToSign, key: key), signature) else {
            throw S3Error.signatureDoesNotMatch(
                accessKey: credential.accessKey, stringToSign: stringToSign, signature: signature, canonicalRequest: canonical)
        }
        return Authentication(accessKey: credential.accessKey, payload: payload, chunkSigning: nil, presigned: true)
    }
}

extension S3Error {
    /// The same error with extra fields appended.
    public func with(_ extra: (String, String)...) -> S3Error {
        var e = self
        e.fields.append(contentsOf: extra)
        return e
    }
}

extension SigV4Authenticator {
    /// Verifies the signature of a browser-form POST (`policy` signed with SigV4 or the legacy V2 scheme).
    /// `fields` have lower-cased names. Returns the access key, or nil when the form is unsigned.
    public func authenticatePostForm(_ fields: [String: String]) throws(S3Error) -> String? {
        guard let policy = fields["policy"] else {
            if fields["x-amz-signature"] != nil || fields["signature"] != nil {
                throw S3Error.invalidArgument("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.", name: "policy")
            }
            return nil
        }
        if let signature = fields["x-amz-signature"] {
            guard fields["x-amz-algorithm"] == SigV4.algorithm else {
                throw S3Error.invalidArgument("POST requires exactly one of the following sets of authentication fields: x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature", name: "x-amz-algorithm")
            }
            guard let credentialText = fields["x-amz-credential"] else {
                throw S3Error.invalidArgument("Bucket POST must contain a field named 'x-amz-credential'.  If it is specified, please check the order of the fields.", name: "x-amz-credential")
            }
            let credential = try parseCredential(credentialText) { S3Error.invalidArgument($0, name: "x-amz-credential", value: credentialText) }
            guard let secret = secretForAccessKey(credential.accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", credential.accessKey)) }
            let key = signingKeys.key(secret: secret, date: credential.date, region: credential.region, service: service)
            guard SigV4.constantTimeEquals(SigV4.sign(policy, key: key), signature) else {
                throw S3Error.signatureDoesNotMatch(accessKey: credential.accessKey, stringToSign: policy, signature: signature)
            }
            return credential.accessKey
        }
        guard let accessKey = fields["awsaccesskeyid"], let signature = fields["signature"] else {
            throw S3Error.invalidArgument("Bucket POST must contain a field named 'x-amz-signature'.  If it is specified, please check the order of the fields.", name: "x-amz-signature")
        }
        guard let secret = secretForAccessKey(accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", accessKey)) }
        guard SigV4.constantTimeEquals(SigV2Authenticator.sign(policy, secret: secret), signature) else {
            throw S3Error.signatureDoesNotMatch(accessKey: accessKey, stringToSign: policy, signature: signature)
        }
        return accessKey
    }
}
