/// Names of the request and response headers that carry server-side encryption parameters.
///
/// Request names are lower-case (``S3Wire/RequestHead`` stores lower-cased names). Response names are spelled as
/// Amazon S3 sends them (`…-customer-key-MD5`).
public enum SSEHeader {
    /// `x-amz-server-side-encryption`: `AES256`, `aws:kms` or `aws:kms:dsse`.
    public static let serverSideEncryption = "x-amz-server-side-encryption"
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    public static let kmsKeyID = "x-amz-server-side-encryption-aws-kms-key-id"
    /// `x-amz-server-side-encryption-context`: base64 of a JSON string→string map.
    public static let context = "x-amz-server-side-encryption-context"
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    public static let bucketKeyEnabled = "x-amz-server-side-encryption-bucket-key-enabled"

    /// `x-amz-server-side-encryption-customer-algorithm` (lower-case, for reading requests).
    public static let customerAlgorithm = "x-amz-server-side-encryption-customer-algorithm"
    /// `x-amz-server-side-encryption-customer-key`.
    public static let customerKey = "x-amz-server-side-encryption-customer-key"
    /// `x-amz-server-side-encryption-customer-key-md5` (lower-case, for reading requests).
    public static let customerKeyMD5 = "x-amz-server-side-encryption-customer-key-md5"

    /// `x-amz-copy-source-server-side-encryption-customer-algorithm`.
    public static let copySourceCustomerAlgorithm = "x-amz-copy-source-server-side-encryption-customer-algorithm"
    /// `x-amz-copy-source-server-side-encryption-customer-key`.
    public static let copySourceCustomerKey = "x-amz-copy-source-server-side-encryption-customer-key"
    /// `x-amz-copy-source-server-side-encryption-customer-key-md5` (lower-case, for reading requests).
    public static let copySourceCustomerKeyMD5 = "x-amz-copy-source-server-side-encryption-customer-key-md5"

    /// `x-amz-server-side-encryption-customer-key-MD5` as S3 spells it in responses.
    public static let responseCustomerKeyMD5 = "x-amz-server-side-encryption-customer-key-MD5"

    /// The three SSE-C headers describing the object written or read.
    public static let customerTrio = [customerAlgorithm, customerKey, customerKeyMD5]
    /// The three SSE-C headers describing the copy source.
    public static let copySourceTrio = [copySourceCustomerAlgorithm, copySourceCustomerKey, copySourceCustomerKeyMD5]
}
