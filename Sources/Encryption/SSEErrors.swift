import S3Wire

/// The S3 errors of server-side encryption, byte for byte as `docs/s3-sse-semantics.md` §3 lists them.
///
/// Each member names its reference case (E-C1 …). HEAD requests answer with the same status and no body; the
/// server drops the body, these values do not change.
public enum SSEErrors {
    static let sse = SSEHeader.serverSideEncryption

    // MARK: SSE-C (§3.1)

    /// E-C1: SSE-C or copy-source SSE-C headers over plain HTTP.
    public static let customerKeyRequiresTLS = S3Error.invalidRequest(
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")

    /// E-C2: SSE-C headers together with `x-amz-server-side-encryption` (`value` as sent).
    public static func customerKeyWithSSEHeader(_ value: String) -> S3Error {
        .invalidArgument(
            "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            name: sse, value: value)
    }

    /// E-C3: SSE-C algorithm other than `AES256` (target or copy source; `algorithm` as sent).
    public static func invalidCustomerAlgorithm(_ algorithm: String) -> S3Error {
        S3Error(
            status: 400, code: "InvalidEncryptionAlgorithmError",
            message: "The Encryption request you specified is not valid. Supported value: AES256.",
            fields: [("ArgumentName", sse), ("ArgumentValue", algorithm)])
    }

    /// E-C4: SSE-C key and/or key MD5 without the algorithm.
    public static let missingCustomerAlgorithm = S3Error.invalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
        name: sse)

    /// E-C5: SSE-C algorithm without a key.
    public static let missingCustomerKey = S3Error.invalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        name: sse)

    /// E-C6: SSE-C key MD5 missing (emulator text).
    public static let missingCustomerKeyMD5 = S3Error.invalidArgument(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
        name: sse)

    /// E-C7: SSE-C key MD5 does not match the decoded key.
    public static let customerKeyMD5Mismatch = S3Error.invalidArgument(
        "The calculated MD5 hash of the key did not match the hash that was provided.", name: sse)

    /// E-C8: decoded SSE-C key is not 32 bytes (on a write).
    public static let invalidCustomerKey = S3Error.invalidArgument(
        "The secret key was invalid for the specified algorithm.", name: sse)

    /// E-C9: SSE-C headers on a read of an object that is not SSE-C (also E-C16 for a copy source).
    public static let encryptionParametersNotApplicable = S3Error.invalidRequest(
        "The encryption parameters are not applicable to this object.")

    /// E-C10: SSE-C object read (or used as copy source) without its key.
    public static let customerKeyRequired = S3Error.invalidRequest(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")

    /// E-C11: SSE-C object read with a different key (also E-C15 for a copy source).
    public static let wrongCustomerKey = S3Error.accessDenied(
        "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")

    /// E-C13: part request whose SSE-C presence differs from the upload's.
    public static let multipartEncryptionRequired = S3Error.invalidRequest(
        "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")

    /// E-C14: part request with a different SSE-C key than CreateMultipartUpload.
    public static let multipartEncryptionMismatch = S3Error.invalidRequest(
        "The provided encryption parameters did not match the ones used originally.")

    /// E-C15: wrong copy-source SSE-C key (emulator rule: the E-C11 text).
    public static let wrongCopySourceCustomerKey = wrongCustomerKey

    /// E-C16: copy-source SSE-C headers but the source is not SSE-C (emulator rule: the E-C9 text).
    public static let copySourceNotCustomerKeyEncrypted = encryptionParametersNotApplicable

    /// E-C17: SSE-C write to a bucket that blocks SSE-C (same-account form).
    public static func customerKeyBlocked(principalARN: String, action: String, objectARN: String) -> S3Error {
        .accessDenied(
            "User: \(principalARN) is not authorized to perform: \(action) on resource: \"\(objectARN)\" because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"
        )
    }

    // MARK: SSE-S3 / SSE-KMS / DSSE-KMS (§3.2)

    /// E-S1: unknown `x-amz-server-side-encryption` value (`value` as sent, possibly empty).
    public static func unsupportedEncryptionMethod(_ value: String) -> S3Error {
        .invalidArgument("The encryption method specified is not supported", name: sse, value: value)
    }

    /// E-S2: `x-amz-server-side-encryption` on an operation that does not take it.
    public static let sseHeaderNotSupported = S3Error.invalidArgument(
        "x-amz-server-side-encryption header is not supported for this operation.", name: sse)

    /// E-K1: KMS key id or context without `aws:kms`/`aws:kms:dsse`; `header` is the KMS header that was sent.
    public static func kmsHeaderWithoutKMS(_ header: String) -> S3Error {
        .invalidArgument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            name: header)
    }

    /// E-K2: encryption context that is not base64 of a JSON string→string map.
    public static let invalidEncryptionContext = S3Error(
        status: 400, code: "InvalidArgument",
        message:
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map"
    )

    /// E-K3: key ID/ARN of a key that does not exist (`keyARN` expanded to the bucket's region and owner).
    public static func kmsKeyNotFound(keyARN: String) -> S3Error {
        S3Error(status: 400, code: "KMS.NotFoundException", message: "Key '\(keyARN)' does not exist")
    }

    /// E-K4: key id that is not a valid identifier.
    public static func invalidKMSKeyID(_ keyID: String) -> S3Error {
        S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid keyId '\(keyID)'")
    }

    /// E-K5: key ARN in a region other than the bucket's.
    public static func kmsKeyInOtherRegion(_ region: String) -> S3Error {
        S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid arn \(region)")
    }

    /// E-K6: alias that does not exist (`aliasARN` = `arn:aws:kms:<region>:<acct>:alias/<name>`).
    public static func kmsAliasNotFound(aliasARN: String) -> S3Error {
        S3Error(status: 400, code: "KMS.NotFoundException", message: "Alias \(aliasARN) is not found.")
    }

    /// E-K7: KMS-protected write or read without SigV4.
    public static let kmsRequiresSigV4 = S3Error.invalidArgument(
        "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.",
        name: "Authorization", value: "null")

    /// E-K8: KMS-protected write or read over plain HTTP.
    public static let kmsRequiresTLS = S3Error.invalidArgument(
        "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.")

    /// E-K9: the KMS key is disabled.
    public static func kmsKeyDisabled(keyARN: String) -> S3Error {
        S3Error(status: 400, code: "KMS.DisabledException", message: "\(keyARN) is disabled.")
    }

    /// E-K10: the KMS key is pending deletion.
    public static func kmsKeyPendingDeletion(keyARN: String) -> S3Error {
        S3Error(status: 400, code: "KMS.KMSInvalidStateException", message: "\(keyARN) is pending deletion.")
    }

    // MARK: Bucket configuration (§3.3)

    /// E-B1 / E-B3: malformed PutBucketEncryption body.
    public static let malformedXML = S3Error.malformedXML

    /// E-B2: `KMSMasterKeyID` with `SSEAlgorithm=AES256`.
    public static let kmsMasterKeyIDNotApplicable = S3Error.invalidArgument(
        "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        name: "ApplyServerSideEncryptionByDefault")

    /// E-B5: legacy "never configured" answer of GetBucketEncryption (current S3 returns the AES256 default).
    public static func encryptionConfigurationNotFound(bucket: String) -> S3Error {
        S3Error(
            status: 404, code: "ServerSideEncryptionConfigurationNotFoundError",
            message: "The server side encryption configuration was not found", fields: [("BucketName", bucket)])
    }
}
