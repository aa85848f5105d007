import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import S3Wire
import Storage

/// One S3 request as the operations see it.
struct S3Request: Sendable {
    var head: RequestHead
    var address: S3Address
    var operation: S3Operation
    var auth: Authentication
    var isTLS: Bool
    var requestID: String
    var body: RequestBody

    var bucket: String { address.bucket ?? "" }
    var key: String { address.key ?? "" }
    func header(_ name: String) -> String? { head.header(name) }
    func query(_ name: String) -> String? { head.queryValue(name) }
}

/// The S3 API: authenticates, routes and runs operations against the store. Errors are mapped to S3 errors in
/// `S3Service+Errors.swift`.
final class S3Service: Sendable {
    let store: ObjectStore
    let configuration: EmulatorConfiguration
    let authenticator: SigV4Authenticator
    let logger: Logger
    let sseS3Keys = SSES3KeyCache()
    /// SSE-KMS Bucket Keys; emptied by key-management calls through the KMS API (see `Emulator`).
    let bucketKeys = BucketKeyCache()

    init(store: ObjectStore, configuration: EmulatorConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let credentials = configuration.credentials
        authenticator = SigV4Authenticator(service: "s3", now: { Int64(Date().timeIntervalSince1970) }) { credentials[$0] }
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Handles an S3 request (everything not under `/_s3emu/`).
    func handle(_ request: Request, head: RequestHead, isTLS: Bool, requestID: String) async throws -> Response {
        guard head.headerSectionSize <= RequestHead.maxHeaderSectionSize else { throw S3Error.requestHeaderSectionTooLarge }
        guard let address = S3Address.resolve(host: head.header("host"), rawPath: head.rawPath, baseDomains: configuration.baseDomains),
            head.query != nil
        else {
            throw S3Error.invalidArgument("Invalid URI encoding")
        }
        let operation = try S3Operation.route(head, address: address)
        if operation == .postObject {
            return try await postObject(request, head: head, address: address, isTLS: isTLS)
        }
        let auth = try authenticator.authenticate(head, virtualHostBucket: address.virtualHosted ? address.bucket : nil)
        if auth.accessKey == nil && !configuration.allowAnonymous { throw S3Error.accessDenied }
        var head = head
        if auth.presigned, let query = head.query {
            // Signed SSE query parameters of a presigned URL count as headers (a conflicting header is a mismatch).
            for (name, value) in query where name.lowercased().hasPrefix("x-amz-server-side-encryption") {
                let lower = name.lowercased()
                if let sent = head.header(lower) {
                    if sent != value { throw S3Error.signatureDoesNotMatch }
                } else {
                    head.headers.append((lower, value))
                }
            }
        }
        let r = S3Request(
            head: head, address: address, operation: operation, auth: auth, isTLS: isTLS, requestID: requestID, body: request.body)
        try await enforcePolicy(r)
        switch operation {
        case .listBuckets: return try await listBuckets(r)
        case .createBucket: return try await createBucket(r)
        case .deleteBucket: return try await deleteBucket(r)
        case .headBucket: return try await headBucket(r)
        case .getBucketLocation: return try await getBucketLocation(r)
        case .getBucketVersioning: return try await getBucketVersioning(r)
        case .listObjects: return try await listObjects(r, v2: false)
        case .listObjectsV2: return try await listObjects(r, v2: true)
        case .listObjectVersions: return try await listObjectVersions(r)
        case .listMultipartUploads: return try await listMultipartUploads(r)
        case .deleteObjects: return try await deleteObjects(r)
        case .postObject: throw S3Error.methodNotAllowed
        case .putObject: return try await putObject(r)
        case .copyObject: return try await copyObject(r)
        case .getObject: return try await getObject(r, headOnly: false)
        case .headObject: return try await getObject(r, headOnly: true)
        case .deleteObject: return try await deleteObject(r)
        case .getObjectAttributes: return try await getObjectAttributes(r)
        case .getObjectTagging: return try await getObjectTagging(r)
        case .putObjectTagging: return try await putObjectTagging(r)
        case .deleteObjectTagging: return try await deleteObjectTagging(r)
        case .createMultipartUpload: return try await createMultipartUpload(r)
        case .uploadPart: return try await uploadPart(r)
        case .uploadPartCopy: return try await uploadPartCopy(r)
        case .completeMultipartUpload: return try await completeMultipartUpload(r)
        case .abortMultipartUpload: return try await abortMultipartUpload(r)
        case .listParts: return try await listParts(r)
        case .putBucketEncryption: return try await putBucketEncryption(r)
        case .getBucketEncryption: return try await getBucketEncryption(r)
        case .deleteBucketEncryption: return try await deleteBucketEncryption(r)
        case .putBucketPolicy: return try await putBucketPolicy(r)
        case .getBucketPolicy: return try await getBucketPolicy(r)
        case .deleteBucketPolicy: return try await deleteBucketPolicy(r)
        }
    }

    /// The bucket, or NoSuchBucket.
    func requireBucket(_ name: String) async throws -> BucketRecord {
        guard let b = try await store.bucket(name) else { throw S3Error.noSuchBucket(name) }
        return b
    }

    /// Makes `record` the current object; on failure the new blob is removed, so nothing half-written remains.
    func commit(_ record: ObjectRecord, blob: PendingBlob) async throws {
        do {
            try await store.putObject(record, blobs: [blob])
        } catch {
            store.blobs.remove([blob.ref])
            throw error
        }
    }

    /// Reads and parses an XML request body.
    func xmlBody(_ r: S3Request, reader: BodyReader? = nil) async throws -> XMLNode {
        let bytes = try await (reader ?? BodyReader(head: r.head, auth: r.auth)).collect(r.body)
        do { return try XMLNode.parse(bytes) } catch { throw S3Error.malformedXML }
    }
}

// MARK: - Responses

extension Response {
    /// An XML document response.
    static func xml(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/xml"
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An empty response.
    static func empty(_ status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentLength] = "0"
        return Response(status: status, headers: h, body: ResponseBody())
    }
}

extension HTTPFields {
    /// Appends a field by name.
    mutating func add(_ name: String, _ value: String) {
        if let n = HTTPField.Name(name) { self.append(HTTPField(name: n, value: value)) }
    }
}
