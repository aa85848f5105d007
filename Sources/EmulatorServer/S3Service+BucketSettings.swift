import BucketPolicy
import Encryption
import Foundation
import HTTPTypes
import Hummingbird
import S3Wire
import Storage

/// Bucket default encryption (`?encryption`) and bucket policies (`?policy`), and the policy check every request
/// passes before its own validation (an explicit Deny wins, and applies to the bucket owner too).
extension S3Service {
    // MARK: - Default encryption

    func putBucketEncryption(_ r: S3Request) async throws -> Response {
        let bucket = try await requireBucket(r.bucket)
        let doc = try await rawBody(r, requireChecksum: true)
        let parsed = try BucketEncryptionConfiguration.parse(doc)
        let merged = bucketEncryption(bucket).applying(put: parsed)
        let text = String(decoding: try JSONEncoder().encode(merged), as: UTF8.self)
        try await store.setBucketSetting(r.bucket, name: "encryption", value: text)
        return .empty(.ok)
    }

    func getBucketEncryption(_ r: S3Request) async throws -> Response {
        let bucket = try await requireBucket(r.bucket)
        return .xml(bucketEncryption(bucket).xml())
    }

    func deleteBucketEncryption(_ r: S3Request) async throws -> Response {
        let bucket = try await requireBucket(r.bucket)
        let reset = bucketEncryption(bucket).deleted()
        // Back to the never-configured default: no explicit configuration is kept (copy-in-place rules look at it).
        let isDefault = reset == .neverConfigured(blockSSECForNewBuckets: configuration.blockSSECOnNewBuckets)
        let text = isDefault ? nil : String(decoding: try JSONEncoder().encode(reset), as: UTF8.self)
        try await store.setBucketSetting(r.bucket, name: "encryption", value: text)
        return .empty(.noContent)
    }

    // MARK: - Policy

    func putBucketPolicy(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        let body = try await rawBody(r)
        _ = try PolicyDocument(json: body, bucket: r.bucket)
        try await store.setBucketSetting(r.bucket, name: "policy", value: String(decoding: body, as: UTF8.self))
        return .empty(.noContent)
    }

    func getBucketPolicy(_ r: S3Request) async throws -> Response {
        let bucket = try await requireBucket(r.bucket)
        guard let policy = bucket.settings["policy"] else {
            throw S3Error(status: 404, code: "NoSuchBucketPolicy", message: "The bucket policy does not exist",
                          fields: [("BucketName", r.bucket)])
        }
        var h = HTTPFields()
        h.add("Content-Type", "application/json")
        return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: policy)))
    }

    func deleteBucketPolicy(_ r: S3Request) async throws -> Response {
        _ = try await requireBucket(r.bucket)
        try await store.setBucketSetting(r.bucket, name: "policy", value: nil)
        return .empty(.noContent)
    }

    /// The whole (small) request body.
    /// The request body, checked against `Content-MD5`, a flexible checksum or a signed payload hash when sent.
    /// With `requireChecksum` (PutBucketEncryption) one of `Content-MD5` or `x-amz-checksum-*` must be sent, as S3
    /// requires.
    func rawBody(_ r: S3Request, requireChecksum: Bool = false) async throws -> [UInt8] {
        let reader = try BodyReader(head: r.head, auth: r.auth)
        if requireChecksum, reader.contentMD5 == nil, !reader.checksumValueSent {
            throw S3Error.invalidRequest("Missing required header for this request: Content-MD5")
        }
        return try await reader.collect(r.body)
    }

    /// Evaluates the bucket's policy for `r` (before any header validation, as S3 does): an explicit Deny is 403.
    func enforcePolicy(_ r: S3Request) async throws {
        guard let name = r.address.bucket, !name.isEmpty, let bucket = try await store.bucket(name),
            let text = bucket.settings["policy"], let document = try? PolicyDocument(json: text, bucket: name),
            let checks = S3PolicyAction.for(operation: r.operation.rawValue)
        else { return }
        let principal: PolicyPrincipal = r.auth.accessKey.map {
            .authenticated(accountID: configuration.accountId, arn: "arn:aws:iam::\(configuration.accountId):user/\($0)")
        } ?? .anonymous
        // The KMS key condition compares key ARNs: resolve an alias (or the aws/s3 default) through the provider.
        var resolvedKey: String?
        var managedKeyARN: String?
        let sse = r.head.header("x-amz-server-side-encryption")
        if sse == "aws:kms" || sse == "aws:kms:dsse", let provider = configuration.keyProvider {
            let caller = r.auth.accessKey ?? "anonymous"
            if let id = r.head.header("x-amz-server-side-encryption-aws-kms-key-id") {
                resolvedKey = (try? await provider.describeKey(id, caller: caller))?.keyId
            } else {
                managedKeyARN = (try? await provider.describeKey("alias/aws/s3", caller: caller))?.keyId
            }
        }
        let context = PolicyContextBuilder.context(
            operation: r.operation.rawValue, secureTransport: r.isTLS, header: { r.head.header($0) },
            query: { r.head.queryValue($0) },
            resolveKMSKeyID: { [configuration] id in resolvedKey ?? Self.kmsKeyARN(id, configuration: configuration) },
            awsManagedKeyARN: managedKeyARN)
        var requests: [PolicyRequest] = []
        for check in checks {
            let resource: String
            switch check.target {
            case .bucket: resource = PolicyRequest.bucketARN(name)
            case .object: resource = PolicyRequest.objectARN(bucket: name, key: r.key)
            case .copySource:
                guard let (b, k) = try? copySource(r) else { continue }
                resource = PolicyRequest.objectARN(bucket: b, key: k)
            }
            requests.append(PolicyRequest(action: check.action, resource: resource, principal: principal, context: context))
        }
        let (decision, deciding) = PolicyEvaluator(document: document).evaluate(requests: requests)
        if decision.isExplicitDeny, let deciding {
            throw PolicyDenied.error(for: deciding, bucketOwnerAccountID: configuration.accountId)
        }
    }

    /// A key id as a key ARN for policy conditions (aliases are compared as sent: resolving them needs KMS).
    static func kmsKeyARN(_ id: String, configuration: EmulatorConfiguration) -> String {
        if id.hasPrefix("arn:") || id.hasPrefix("alias/") { return id }
        return "arn:aws:kms:\(configuration.region):\(configuration.accountId):key/\(id)"
    }
}
