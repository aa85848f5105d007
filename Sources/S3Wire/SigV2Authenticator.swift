import Crypto

/// The legacy AWS Signature Version 2 (`Authorization: AWS AKID:sig`, `?AWSAccessKeyId=&Signature=&Expires=`), which
/// older tools and browser-form POST policies still use.
///
/// ```
/// StringToSign = Method \n Content-MD5 \n Content-Type \n (Date | Expires | "" when x-amz-date is set) \n
///                CanonicalizedAmzHeaders CanonicalizedResource
/// Signature    = base64(HMAC-SHA1(secret, StringToSign))
/// ```
struct SigV2Authenticator {
    let v4: SigV4Authenticator

    /// Sub-resources that belong to the canonicalized resource.
    static let subresources: Set<String> = [
        "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId",
        "versioning", "versions", "website", "encryption", "object-lock", "attributes", "legal-hold", "retention",
    ]

    /// The strings to sign that S3 accepts for this request: a bucket-level resource signs as `/bucket` or
    /// `/bucket/` (botocore sends the latter, other clients the former).
    static func stringsToSign(_ head: RequestHead, dateLine: String, bucket: String?) -> [String] {
        var texts = [stringToSign(head, dateLine: dateLine, bucket: bucket)]
        let path = head.rawPath
        if bucket == nil, path.count > 1, path.dropFirst().firstIndex(of: "/") == nil {
            var alt = head
            alt.rawPath = path + "/"
            texts.append(stringToSign(alt, dateLine: dateLine, bucket: bucket))
        } else if bucket == nil, path.count > 2, path.hasSuffix("/"), path.dropFirst().dropLast().firstIndex(of: "/") == nil {
            var alt = head
            alt.rawPath = String(path.dropLast())
            texts.append(stringToSign(alt, dateLine: dateLine, bucket: bucket))
        }
        return texts
    }

    /// Whether `signature` matches one of the accepted strings to sign.
    static func verify(_ texts: [String], secret: String, signature: String) -> Bool {
        texts.contains { SigV4.constantTimeEquals(sign($0, secret: secret), signature) }
    }

    static func stringToSign(_ head: RequestHead, dateLine: String, bucket: String?) -> String {
        var amz: [String: [String]] = [:]
        for (name, value) in head.headers where name.hasPrefix("x-amz-") {
            amz[name, default: []].append(String(value.trimmingASCIIWhitespace()))
        }
        var text = head.method + "\n" + (head.header("content-md5") ?? "") + "\n" + (head.header("content-type") ?? "") + "\n" + dateLine + "\n"
        for name in amz.keys.sorted() { text += name + ":" + amz[name]!.joined(separator: ",") + "\n" }
        if let bucket { text += "/" + bucket }
        text += head.rawPath
        let subs = (head.query ?? []).filter { subresources.contains($0.0) }.sorted { $0.0 < $1.0 }
        if !subs.isEmpty {
            text += "?" + subs.map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        return text
    }

    /// base64(HMAC-SHA1(secret, text)).
    static func sign(_ text: String, secret: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Base64.encode(Array(mac))
    }

    func verifyHeader(_ head: RequestHead, authorization: String, bucket: String?) throws(S3Error) -> Authentication {
        let body = authorization.dropFirst(4)
        guard let colon = body.lastIndex(of: ":") else {
            throw S3Error.invalidArgument("AWS authorization header is invalid.  Expected AwsAccessKeyId:signature", name: "Authorization", value: authorization)
        }
        let accessKey = String(body[..<colon])
        let signature = String(body[body.index(after: colon)...])
        guard let secret = v4.secretForAccessKey(accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", accessKey)) }
        let dateText = head.header("x-amz-date") ?? head.header("date") ?? ""
        guard let when = HTTPDate.parse(dateText) ?? HTTPDate.parseAmzTimestamp(dateText) else {
            throw S3Error.accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
        let serverTime = v4.now()
        if abs(when - serverTime) > v4.maxSkewSeconds {
            throw S3Error.requestTimeTooSkewed(requestTime: dateText, serverTime: HTTPDate.iso8601(milliseconds: serverTime * 1000))
        }
        let dateLine = head.header("x-amz-date") != nil ? "" : dateText
        let texts = Self.stringsToSign(head, dateLine: dateLine, bucket: bucket)
        let text = texts[0]
        guard Self.verify(texts, secret: secret, signature: signature) else {
            throw S3Error.signatureDoesNotMatch(accessKey: accessKey, stringToSign: text, signature: signature)
        }
        return Authentication(accessKey: accessKey, payload: .unsigned, chunkSigning: nil, presigned: false, signatureV2: true)
    }

    func verifyQuery(_ head: RequestHead, bucket: String?) throws(S3Error) -> Authentication {
        guard let accessKey = head.queryValue("AWSAccessKeyId"), let signature = head.queryValue("Signature"),
            let expiresText = head.queryValue("Expires"), let expires = Int64(expiresText)
        else {
            throw S3Error.accessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        guard let secret = v4.secretForAccessKey(accessKey) else { throw S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", accessKey)) }
        let serverTime = v4.now()
        if serverTime > expires {
            throw S3Error.accessDenied(
                "Request has expired",
                fields: [("Expires", HTTPDate.iso8601(milliseconds: expires * 1000)), ("ServerTime", HTTPDate.iso8601(milliseconds: serverTime * 1000))])
        }
        let texts = Self.stringsToSign(head, dateLine: expiresText, bucket: bucket)
        let text = texts[0]
        guard Self.verify(texts, secret: secret, signature: signature) else {
            throw S3Error.signatureDoesNotMatch(accessKey: accessKey, stringToSign: text, signature: signature)
        }
        return Authentication(accessKey: accessKey, payload: .unsigned, chunkSigning: nil, presigned: true, signatureV2: true)
    }
}
