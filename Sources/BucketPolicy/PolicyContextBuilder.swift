/// Builds the condition-key context of a request (``PolicyRequest/context``) for the keys the emulator evaluates.
///
/// | Key | Value |
/// |---|---|
/// | `aws:SecureTransport` | `"true"` over HTTPS, `"false"` over plain HTTP |
/// | `s3:x-amz-server-side-encryption` | the request header as sent; absent when the header is absent (even though the bucket default will encrypt) |
/// | `s3:x-amz-server-side-encryption-aws-kms-key-id` | the KMS key S3 will use, as a key ARN: the key header resolved, or the `aws/s3` key when the request asks for `aws:kms`/`aws:kms:dsse` without naming a key; absent otherwise |
/// | `s3:x-amz-server-side-encryption-customer-algorithm` | the SSE-C algorithm header as sent |
/// | `s3:prefix`, `s3:delimiter`, `s3:max-keys` | the ListObjects(V2)/ListObjectVersions query parameters as sent |
///
/// Every key is taken from the request's own headers only: an UploadPart or CompleteMultipartUpload without
/// SSE headers has them absent even if CreateMultipartUpload sent them (reference §8.2).
public enum PolicyContextBuilder {
    public static let secureTransportKey = "aws:SecureTransport"
    public static let serverSideEncryptionKey = "s3:x-amz-server-side-encryption"
    public static let kmsKeyIDKey = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    public static let customerAlgorithmKey = "s3:x-amz-server-side-encryption-customer-algorithm"
    public static let prefixKey = "s3:prefix"
    public static let delimiterKey = "s3:delimiter"
    public static let maxKeysKey = "s3:max-keys"

    /// The context from values the server already extracted.
    ///
    /// - Parameters:
    ///   - secureTransport: the request came over TLS.
    ///   - serverSideEncryption: `x-amz-server-side-encryption` as sent, nil when absent.
    ///   - kmsKeyID: `x-amz-server-side-encryption-aws-kms-key-id` resolved to a key ARN (as sent when it does
    ///     not resolve), nil when absent.
    ///   - awsManagedKeyARN: the ARN of the account's `aws/s3` key, used when `aws:kms`/`aws:kms:dsse` is asked
    ///     without a key id.
    ///   - customerAlgorithm: `x-amz-server-side-encryption-customer-algorithm` as sent, nil when absent.
    ///   - prefix, delimiter, maxKeys: the listing query parameters as sent, nil when absent.
    public static func context(
        secureTransport: Bool,
        serverSideEncryption: String? = nil,
        kmsKeyID: String? = nil,
        awsManagedKeyARN: String? = nil,
        customerAlgorithm: String? = nil,
        prefix: String? = nil,
        delimiter: String? = nil,
        maxKeys: String? = nil
    ) -> [String: [String]] {
        var context: [String: [String]] = [secureTransportKey: [secureTransport ? "true" : "false"]]
        context[serverSideEncryptionKey] = serverSideEncryption.map { [$0] }
        let keyARN = effectiveKMSKeyARN(
            serverSideEncryption: serverSideEncryption, kmsKeyID: kmsKeyID, awsManagedKeyARN: awsManagedKeyARN)
        context[kmsKeyIDKey] = keyARN.map { [$0] }
        context[customerAlgorithmKey] = customerAlgorithm.map { [$0] }
        context[prefixKey] = prefix.map { [$0] }
        context[delimiterKey] = delimiter.map { [$0] }
        context[maxKeysKey] = maxKeys.map { [$0] }
        return context
    }

    /// The context read from a request's headers and query parameters.
    ///
    /// - Parameters:
    ///   - operation: the S3 operation name; the listing keys are only read for ListObjects, ListObjectsV2 and
    ///     ListObjectVersions.
    ///   - header: looks up a request header by lowercased name.
    ///   - query: looks up a query parameter by name.
    ///   - resolveKMSKeyID: turns the key-id header (key id, alias, or ARN) into the key ARN S3 will use;
    ///     returns the value unchanged when it cannot.
    ///   - awsManagedKeyARN: the ARN of the account's `aws/s3` key.
    public static func context(
        operation: String,
        secureTransport: Bool,
        header: (String) -> String?,
        query: (String) -> String? = { _ in nil },
        resolveKMSKeyID: (String) -> String = { $0 },
        awsManagedKeyARN: String? = nil
    ) -> [String: [String]] {
        let listing = ["listobjects", "listobjectsv2", "listobjectversions"].contains(operation.lowercased())
        return context(
            secureTransport: secureTransport,
            serverSideEncryption: header("x-amz-server-side-encryption"),
            kmsKeyID: header("x-amz-server-side-encryption-aws-kms-key-id").map(resolveKMSKeyID),
            awsManagedKeyARN: awsManagedKeyARN,
            customerAlgorithm: header("x-amz-server-side-encryption-customer-algorithm"),
            prefix: listing ? query("prefix") : nil,
            delimiter: listing ? query("delimiter") : nil,
            maxKeys: listing ? query("max-keys") : nil)
    }

    /// The value of `s3:x-amz-server-side-encryption-aws-kms-key-id`: the key-id header (resolved) when sent;
    /// else the `aws/s3` key when the SSE header asks for `aws:kms` or `aws:kms:dsse`; else nil (absent).
    public static func effectiveKMSKeyARN(serverSideEncryption: String?, kmsKeyID: String?, awsManagedKeyARN: String?)
        -> String?
    {
        if let kmsKeyID { return kmsKeyID }
        if serverSideEncryption == "aws:kms" || serverSideEncryption == "aws:kms:dsse" { return awsManagedKeyARN }
        return nil
    }
}
