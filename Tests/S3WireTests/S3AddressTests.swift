import Testing

@testable import S3Wire

@Suite struct S3AddressTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var host: String?
        var path: String
        var bucket: String?
        var key: String?
        var virtual: Bool
        var testDescription: String { "\(host ?? "nil") \(path)" }
    }

    static let cases: [Case] = [
        // Path style.
        Case(host: "localhost:9000", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "localhost", path: "/b/dir/sub/file.txt", bucket: "b", key: "dir/sub/file.txt", virtual: false),
        Case(host: "localhost:9000", path: "/b", bucket: "b", key: nil, virtual: false),
        Case(host: "localhost:9000", path: "/b/", bucket: "b", key: nil, virtual: false),
        Case(host: "localhost:9000", path: "/", bucket: nil, key: nil, virtual: false),
        Case(host: "localhost:9000", path: "", bucket: nil, key: nil, virtual: false),
        Case(host: nil, path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "localhost", path: "/b/a%20b%2Fc", bucket: "b", key: "a b/c", virtual: false),
        Case(host: "localhost", path: "/b//k", bucket: "b", key: "/k", virtual: false),
        Case(host: "s3.localhost", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "s3.localhost:9000", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "127.0.0.1:9000", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "192.168.1.10", path: "/b", bucket: "b", key: nil, virtual: false),
        Case(host: "[::1]:9000", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "[::1]", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "s3.amazonaws.com", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "s3.us-east-1.amazonaws.com", path: "/b/k", bucket: "b", key: "k", virtual: false),
        Case(host: "example.com", path: "/b/k", bucket: "b", key: "k", virtual: false),
        // Virtual-hosted style.
        Case(host: "b.s3.localhost:9000", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "b.s3.localhost", path: "/", bucket: "b", key: nil, virtual: true),
        Case(host: "b.s3.localhost", path: "", bucket: "b", key: nil, virtual: true),
        Case(host: "b.localhost", path: "/dir/k", bucket: "b", key: "dir/k", virtual: true),
        Case(host: "b.localhost:9000", path: "/k%3Fx", bucket: "b", key: "k?x", virtual: true),
        Case(host: "B.S3.LocalHost:9000", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "b.localhost.", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "my.dotted.bucket.s3.localhost", path: "/k", bucket: "my.dotted.bucket", key: "k", virtual: true),
        Case(host: "b.s3.us-east-1.amazonaws.com", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "b.s3.amazonaws.com", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "b.s3-us-west-2.amazonaws.com", path: "/k", bucket: "b", key: "k", virtual: true),
        Case(host: "my.bucket.s3.eu-west-1.amazonaws.com:443", path: "/", bucket: "my.bucket", key: nil, virtual: true),
        Case(host: "b.s3.localhost", path: "//k", bucket: "b", key: "/k", virtual: true),
    ]

    @Test(arguments: cases)
    func resolve(_ c: Case) {
        #expect(S3Address.resolve(host: c.host, rawPath: c.path) == S3Address(bucket: c.bucket, key: c.key, virtualHosted: c.virtual))
    }

    @Test func malformedPathEscape() {
        #expect(S3Address.resolve(host: "localhost", rawPath: "/b/%zz") == nil)
        #expect(S3Address.resolve(host: "b.localhost", rawPath: "/%C3") == nil)
    }

    @Test func customBaseDomains() {
        #expect(S3Address.virtualHostBucket(host: "b.storage.test:80", baseDomains: ["storage.test"]) == "b")
        #expect(S3Address.virtualHostBucket(host: "b.localhost", baseDomains: ["storage.test"]) == nil)
        #expect(
            S3Address.resolve(host: "x.storage.test", rawPath: "/k", baseDomains: ["storage.test"])
                == S3Address(bucket: "x", key: "k", virtualHosted: true))
    }
}
