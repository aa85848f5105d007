import Testing

@testable import S3Wire

@Suite struct S3OperationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: String
        var target: String
        var headers: [(String, String)] = []
        var expected: Result<S3Operation, S3Error>
        var testDescription: String { "\(method) \(target)\(headers.isEmpty ? "" : " +" + headers.map(\.0).joined(separator: ","))" }
    }

    static func ok(_ method: String, _ target: String, _ op: S3Operation, headers: [(String, String)] = []) -> Case {
        Case(method: method, target: target, headers: headers, expected: .success(op))
    }

    static func fail(_ method: String, _ target: String, _ error: S3Error, headers: [(String, String)] = []) -> Case {
        Case(method: method, target: target, headers: headers, expected: .failure(error))
    }

    static let copy = [("x-amz-copy-source", "/src/key")]
    static let notImplemented = S3Error(
        status: 501, code: "NotImplemented", message: "A header you provided implies functionality that is not implemented")
    static let methodNotAllowed = S3Error(
        status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.")

    static let cases: [Case] = [
        // Service.
        ok("GET", "/", .listBuckets),
        fail("PUT", "/", methodNotAllowed),
        fail("DELETE", "/", methodNotAllowed),
        // Bucket.
        ok("PUT", "/b", .createBucket),
        ok("DELETE", "/b", .deleteBucket),
        ok("HEAD", "/b", .headBucket),
        ok("GET", "/b", .listObjects),
        ok("GET", "/b?prefix=a&delimiter=/", .listObjects),
        ok("GET", "/b?list-type=2", .listObjectsV2),
        ok("GET", "/b?list-type=1", .listObjects),
        ok("GET", "/b?location", .getBucketLocation),
        ok("GET", "/b?versioning", .getBucketVersioning),
        ok("GET", "/b?versions", .listObjectVersions),
        ok("GET", "/b?uploads", .listMultipartUploads),
        ok("POST", "/b?delete", .deleteObjects),
        ok("POST", "/b", .postObject),
        fail("PUT", "/b?versioning", notImplemented),
        fail("GET", "/b?tagging", notImplemented),
        fail("GET", "/b?website", notImplemented),
        fail("PUT", "/b?website", notImplemented),
        fail("GET", "/b?lifecycle", notImplemented),
        fail("PUT", "/b?lifecycle", notImplemented),
        fail("GET", "/b?acl", notImplemented),
        ok("GET", "/b?policy", .getBucketPolicy),
        ok("PUT", "/b?policy", .putBucketPolicy),
        ok("DELETE", "/b?policy", .deleteBucketPolicy),
        ok("GET", "/b?encryption", .getBucketEncryption),
        ok("PUT", "/b?encryption", .putBucketEncryption),
        ok("DELETE", "/b?encryption", .deleteBucketEncryption),
        fail("POST", "/b?encryption", methodNotAllowed),
        fail("GET", "/b?policyStatus", notImplemented),
        fail("GET", "/b?cors", notImplemented),
        fail("PATCH", "/b", methodNotAllowed),
        fail("OPTIONS", "/b", methodNotAllowed),
        // Object.
        ok("PUT", "/b/k", .putObject),
        ok("PUT", "/b/k", .copyObject, headers: copy),
        ok("PUT", "/b/k?partNumber=1&uploadId=u", .uploadPart),
        ok("PUT", "/b/k?partNumber=1&uploadId=u", .uploadPartCopy, headers: copy),
        ok("GET", "/b/k", .getObject),
        ok("GET", "/b/k?partNumber=1", .getObject),
        ok("GET", "/b/k?versionId=null", .getObject),
        ok("GET", "/b/k?uploadId=u", .listParts),
        ok("GET", "/b/k?attributes", .getObjectAttributes),
        ok("HEAD", "/b/k", .headObject),
        ok("DELETE", "/b/k", .deleteObject),
        ok("DELETE", "/b/k?uploadId=u", .abortMultipartUpload),
        ok("POST", "/b/k?uploads", .createMultipartUpload),
        ok("POST", "/b/k?uploadId=u", .completeMultipartUpload),
        ok("GET", "/b/k?tagging", .getObjectTagging),
        ok("PUT", "/b/k?tagging", .putObjectTagging),
        ok("DELETE", "/b/k?tagging", .deleteObjectTagging),
        fail("POST", "/b/k?tagging", methodNotAllowed),
        fail("POST", "/b/k", methodNotAllowed),
        fail("POST", "/b/k?restore", notImplemented),
        fail("POST", "/b/k?select&select-type=2", notImplemented),
        fail("GET", "/b/k?acl", notImplemented),
        fail("PUT", "/b/k?acl", notImplemented),
        fail("GET", "/b/k?retention", notImplemented),
        fail("GET", "/b/k?legal-hold", notImplemented),
        fail("GET", "/b/k?torrent", notImplemented),
        fail("PATCH", "/b/k", methodNotAllowed),
        fail("OPTIONS", "/b/k", methodNotAllowed),
    ]

    @Test(arguments: cases)
    func route(_ c: Case) throws {
        let head = RequestHead(method: c.method, target: c.target, headers: c.headers)
        let address = try #require(S3Address.resolve(host: "localhost:9000", rawPath: head.rawPath))
        switch c.expected {
        case .success(let op):
            #expect(try S3Operation.route(head, address: address) == op)
        case .failure(let error):
            #expect(throws: error) { try S3Operation.route(head, address: address) }
        }
    }

    @Test func virtualHostedBucketRoutesLikePathStyle() throws {
        let head = RequestHead(method: "GET", target: "/?list-type=2", headers: [("Host", "b.s3.localhost")])
        let address = try #require(S3Address.resolve(host: "b.s3.localhost", rawPath: head.rawPath))
        #expect(try S3Operation.route(head, address: address) == .listObjectsV2)
        let object = RequestHead(method: "POST", target: "/k?uploads", headers: [("Host", "b.s3.localhost")])
        let objectAddress = try #require(S3Address.resolve(host: "b.s3.localhost", rawPath: object.rawPath))
        #expect(try S3Operation.route(object, address: objectAddress) == .createMultipartUpload)
    }

    @Test func operationNames() {
        #expect(S3Operation.listObjectsV2.rawValue == "ListObjectsV2")
        #expect(S3Operation.allCases.count == 33)
    }
}
