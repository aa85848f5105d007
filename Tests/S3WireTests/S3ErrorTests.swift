import Testing

@testable import S3Wire

@Suite struct S3ErrorTests {
    @Test func noSuchKeyXML() {
        let e = S3Error.noSuchKey("photos/a&b.jpg")
        #expect(e.status == 404)
        #expect(e.code == "NoSuchKey")
        #expect(
            e.xml(requestID: "4442587FB7D0A2F9", hostID: "host/id=")
                == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>photos/a&amp;b.jpg</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host/id=</HostId></Error>"
        )
    }

    @Test func xmlWithoutFields() {
        #expect(
            S3Error.methodNotAllowed.xml(requestID: "R", hostID: "H")
                == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><RequestId>R</RequestId><HostId>H</HostId></Error>"
        )
    }

    @Test func xmlParsesBack() throws {
        let e = S3Error.requestTimeTooSkewed(requestTime: "20130524T000000Z", serverTime: "2013-05-24T00:15:01.000Z")
        let node = try XMLNode.parse(Array(e.xml(requestID: "R", hostID: "H").utf8))
        #expect(node.name == "Error")
        #expect(node.children.map(\.name) == ["Code", "Message", "RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds", "RequestId", "HostId"])
        #expect(node.value("MaxAllowedSkewMilliseconds") == "900000")
    }

    @Test func equalityComparesFieldsButNotHeaders() {
        #expect(S3Error.noSuchKey("a") == S3Error.noSuchKey("a"))
        #expect(S3Error.noSuchKey("a") != S3Error.noSuchKey("b"))
        #expect(S3Error.noSuchBucket("a") != S3Error.noSuchKey("a"))
        let withHeader = S3Error(status: 404, code: "NoSuchKey", message: "The specified key does not exist.", fields: [("Key", "a")], headers: [("x", "y")])
        #expect(withHeader == S3Error.noSuchKey("a"))
        #expect(S3Error.noSuchKey("a").description == "404 NoSuchKey: The specified key does not exist.")
    }

    @Test(arguments: [
        (S3Error.noSuchBucket("b"), 404, "NoSuchBucket"),
        (S3Error.noSuchUpload("u"), 404, "NoSuchUpload"),
        (S3Error.bucketNotEmpty("b"), 409, "BucketNotEmpty"),
        (S3Error.bucketAlreadyOwnedByYou("b"), 409, "BucketAlreadyOwnedByYou"),
        (S3Error.invalidBucketName("B"), 400, "InvalidBucketName"),
        (S3Error.invalidRange(requested: "bytes=100-", size: 10), 416, "InvalidRange"),
        (S3Error.preconditionFailed("If-Match"), 412, "PreconditionFailed"),
        (S3Error.notImplemented(), 501, "NotImplemented"),
        (S3Error.missingContentLength, 411, "MissingContentLength"),
        (S3Error.internalError, 500, "InternalError"),
        (S3Error.entityTooSmall(size: 1, minimum: 5), 400, "EntityTooSmall"),
        (S3Error.contentSHA256Mismatch(client: "a", computed: "b"), 400, "XAmzContentSHA256Mismatch"),
    ])
    func catalogueStatusesAndCodes(_ e: S3Error, _ status: Int, _ code: String) {
        #expect(e.status == status)
        #expect(e.code == code)
    }
}
