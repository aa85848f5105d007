@testable import ClientSideTransfer
import Testing

@Suite struct S3LocationTests {
    @Test(arguments: [
        ("s3://bucket/key", "bucket", "key"),
        ("s3://b/dir/sub/file.txt", "b", "dir/sub/file.txt"),
        ("s3://b/key with spaces/ü", "b", "key with spaces/ü"),
        ("s3://b//leading-slash", "b", "/leading-slash"),
    ])
    func parses(_ uri: String, _ bucket: String, _ key: String) {
        let location = S3Location(uri: uri)
        #expect(location == S3Location(bucket: bucket, key: key))
        #expect(location?.description == uri)
    }

    @Test(arguments: ["bucket/key", "s3://bucket", "s3://bucket/", "s3:///key", "https://b/k", ""])
    func refuses(_ uri: String) {
        #expect(S3Location(uri: uri) == nil)
    }
}

@Suite struct S3ObjectClientXMLTests {
    @Test func readsElementsAndUnescapes() {
        let xml = "<InitiateMultipartUploadResult><Bucket>b</Bucket><UploadId>a&amp;b&lt;c&gt;&quot;</UploadId></InitiateMultipartUploadResult>"
        #expect(S3ObjectClient.element("UploadId", in: xml) == "a&b<c>\"")
        #expect(S3ObjectClient.element("Missing", in: xml) == nil)
        let error = "<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>"
        #expect(S3ObjectClient.element("Code", in: error) == "NoSuchUpload")
        #expect(S3ObjectClient.element("Code", in: "not xml <") == nil)
    }

    @Test func refusesEndpointsThatAreNotHTTP() {
        #expect(throws: (any Error).self) {
            _ = try S3ObjectClient(endpoint: S3Endpoint(url: "ftp://host", region: "us-east-1", accessKeyId: "a", secretAccessKey: "s"))
        }
        #expect(S3Endpoint(url: "http://h", region: "r", accessKeyId: "AK", secretAccessKey: "very-secret").description.contains("very-secret") == false)
    }
}
