/// An error as Amazon S3 answers it: an HTTP status, a `Code`, a `Message` and extra elements of the XML body.
///
/// Every error the emulator sends to an S3 client is built here, so codes and messages stay byte-exact in one place.
/// Messages never carry secrets (keys, signatures of other requests, plaintext).
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status code.
    public var status: Int
    /// S3 error code (`NoSuchKey`, `SignatureDoesNotMatch`, …).
    public var code: String
    /// Human-readable message, as S3 words it.
    public var message: String
    /// Extra child elements of `<Error>`, in order (e.g. `Key`, `BucketName`).
    public var fields: [(String, String)]
    /// Extra response headers (e.g. `x-amz-bucket-region`).
    public var headers: [(String, String)]

    public init(status: Int, code: String, message: String, fields: [(String, String)] = [], headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func == (lhs: S3Error, rhs: S3Error) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message
            && lhs.fields.elementsEqual(rhs.fields, by: { $0 == $1 })
    }

    /// The XML body S3 sends for this error.
    public func xml(requestID: String, hostID: String) -> String {
        var w = XMLWriter()
        w.open("Error")
        w.element("Code", code)
        w.element("Message", message)
        for (name, value) in fields { w.element(name, value) }
        w.element("RequestId", requestID)
        w.element("HostId", hostID)
        w.close("Error")
        return w.document
    }
}

// MARK: - Catalogue

extension S3Error {
    public static let accessDenied = S3Error(status: 403, code: "AccessDenied", message: "Access Denied")
    public static func accessDenied(_ message: String, fields: [(String, String)] = []) -> S3Error {
        S3Error(status: 403, code: "AccessDenied", message: message, fields: fields)
    }
    public static func noSuchBucket(_ bucket: String) -> S3Error {
        S3Error(status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist", fields: [("BucketName", bucket)])
    }
    public static func noSuchKey(_ key: String) -> S3Error {
        S3Error(status: 404, code: "NoSuchKey", message: "The specified key does not exist.", fields: [("Key", key)])
    }
    public static func noSuchUpload(_ uploadID: String) -> S3Error {
        S3Error(
            status: 404, code: "NoSuchUpload",
            message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            fields: [("UploadId", uploadID)])
    }
    public static func invalidBucketName(_ bucket: String) -> S3Error {
        S3Error(status: 400, code: "InvalidBucketName", message: "The specified bucket is not valid.", fields: [("BucketName", bucket)])
    }
    public static func bucketAlreadyOwnedByYou(_ bucket: String) -> S3Error {
        S3Error(
            status: 409, code: "BucketAlreadyOwnedByYou",
            message: "Your previous request to create the named bucket succeeded and you already own it.",
            fields: [("BucketName", bucket)])
    }
    public static func bucketNotEmpty(_ bucket: String) -> S3Error {
        S3Error(status: 409, code: "BucketNotEmpty", message: "The bucket you tried to delete is not empty", fields: [("BucketName", bucket)])
    }
    public static let invalidDigest = S3Error(status: 400, code: "InvalidDigest", message: "The Content-MD5 you specified is not valid.")
    public static let badDigest = S3Error(status: 400, code: "BadDigest", message: "The Content-MD5 you specified did not match what we received.")
    public static func badChecksum(_ algorithm: String) -> S3Error {
        S3Error(status: 400, code: "BadDigest", message: "The \(algorithm) you specified did not match the calculated checksum.")
    }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var fields: [(String, String)] = []
        if let name { fields.append(("ArgumentName", name)) }
        if let value { fields.append(("ArgumentValue", value)) }
        return S3Error(status: 400, code: "InvalidArgument", message: message, fields: fields)
    }
    public static func invalidRequest(_ message: String) -> S3Error {
        S3Error(status: 400, code: "InvalidRequest", message: message)
    }
    public static let malformedXML = S3Error(
        status: 400, code: "MalformedXML",
        message: "The XML you provided was not well-formed or did not validate against our published schema")
    public static let invalidPart = S3Error(
        status: 400, code: "InvalidPart",
        message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
    public static let invalidPartOrder = S3Error(
        status: 400, code: "InvalidPartOrder",
        message: "The list of parts was not in ascending order. Parts must be ordered by part number.")
    public static func entityTooSmall(size: Int64, minimum: Int64) -> S3Error {
        S3Error(
            status: 400, code: "EntityTooSmall", message: "Your proposed upload is smaller than the minimum allowed object size.",
            fields: [("ProposedSize", String(size)), ("MinSizeAllowed", String(minimum))])
    }
    public static func entityTooLarge(size: Int64, maximum: Int64) -> S3Error {
        S3Error(
            status: 400, code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size",
            fields: [("ProposedSize", String(size)), ("MaxSizeAllowed", String(maximum))])
    }
    public static func invalidRange(requested: String, size: Int64) -> S3Error {
        S3Error(
            status: 416, code: "InvalidRange", message: "The requested range is not satisfiable",
            fields: [("RangeRequested", requested), ("ActualObjectSize", String(size))])
    }
    public static func preconditionFailed(_ condition: String) -> S3Error {
        S3Error(
            status: 412, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold",
            fields: [("Condition", condition)])
    }
    public static let methodNotAllowed = S3Error(
        status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")
    public static let missingContentLength = S3Error(
        status: 411, code: "MissingContentLength", message: "You must provide the Content-Length HTTP header.")
    public static let incompleteBody = S3Error(
        status: 400, code: "IncompleteBody", message: "You did not provide the number of bytes specified by the Content-Length HTTP header")
    public static func notImplemented(_ message: String = "A header you provided implies functionality that is not implemented") -> S3Error {
        S3Error(status: 501, code: "NotImplemented", message: message)
    }
    public static let invalidAccessKeyID = S3Error(
        status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records.")
    /// SignatureDoesNotMatch with what S3 reports to help debugging (the canonical request only for SigV4).
    public static func signatureDoesNotMatch(accessKey: String, stringToSign: String, signature: String, canonicalRequest: String? = nil)
        -> S3Error
    {
        var fields = [("AWSAccessKeyId", accessKey), ("StringToSign", stringToSign), ("SignatureProvided", signature)]
        if let canonicalRequest { fields.append(("CanonicalRequest", canonicalRequest)) }
        var e = signatureDoesNotMatch
        e.fields = fields
        return e
    }

    /// SignatureDoesNotMatch without details (aws-chunked chunk and trailer signatures).
    public static let signatureDoesNotMatch = S3Error(
        status: 403, code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
    public static func requestTimeTooSkewed(requestTime: String, serverTime: String) -> S3Error {
        S3Error(
            status: 403, code: "RequestTimeTooSkewed",
            message: "The difference between the request time and the current time is too large.",
            fields: [("RequestTime", requestTime), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", "900000")])
    }
    public static func authorizationHeaderMalformed(_ message: String) -> S3Error {
        S3Error(status: 400, code: "AuthorizationHeaderMalformed", message: message)
    }
    public static func authorizationQueryParametersError(_ message: String) -> S3Error {
        S3Error(status: 400, code: "AuthorizationQueryParametersError", message: message)
    }
    public static func contentSHA256Mismatch(client: String, computed: String) -> S3Error {
        S3Error(
            status: 400, code: "XAmzContentSHA256Mismatch",
            message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
            fields: [("ClientComputedContentSHA256", client), ("S3ComputedContentSHA256", computed)])
    }
    public static let invalidLocationConstraint = S3Error(
        status: 400, code: "InvalidLocationConstraint", message: "The specified location-constraint is not valid")
    public static let keyTooLong = S3Error(status: 400, code: "KeyTooLongError", message: "Your key is too long")
    /// The request's header fields exceed S3's limit (``RequestHead/maxHeaderSectionSize``).
    public static let requestHeaderSectionTooLarge = S3Error(
        status: 400, code: "RequestHeaderSectionTooLarge", message: "Your request header section exceeds the maximum allowed size.",
        fields: [("MaxSizeAllowed", String(RequestHead.maxHeaderSectionSize))])
    public static let metadataTooLarge = S3Error(
        status: 400, code: "MetadataTooLarge", message: "Your metadata headers exceed the maximum allowed metadata size.")
    public static let internalError = S3Error(
        status: 500, code: "InternalError", message: "We encountered an internal error. Please try again.")
    public static let invalidPolicyDocument = S3Error(
        status: 400, code: "InvalidPolicyDocument", message: "Invalid Policy: Invalid JSON.")
}
