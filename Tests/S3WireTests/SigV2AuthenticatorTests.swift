import Testing

@testable import S3Wire

/// The Signature Version 2 examples of the S3 "Signing and Authenticating REST Requests" documentation
/// (bucket `johnsmith`, virtual-hosted).
@Suite struct SigV2AuthenticatorTests {
    /// Tue, 27 Mar 2007 19:36:42 GMT.
    static let getTime: Int64 = 1_175_024_202

    static func authenticator(now: Int64) -> SigV4Authenticator {
        SigV4Authenticator(service: "s3", now: { now }, secretForAccessKey: { $0 == AWSExample.accessKey ? AWSExample.secret : nil })
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var head: RequestHead
        var now: Int64
        var stringToSign: String
        var signature: String
        var testDescription: String { name }
    }

    static func head(_ method: String, _ target: String, date: String, signature: String, extra: [(String, String)] = []) -> RequestHead {
        RequestHead(
            method: method, target: target,
            headers: [("Host", "johnsmith.s3.amazonaws.com"), ("Date", date), ("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:" + signature)]
                + extra)
    }

    static let examples: [Example] = [
        Example(
            name: "Object GET",
            head: head("GET", "/photos/puppy.jpg", date: "Tue, 27 Mar 2007 19:36:42 +0000", signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
            now: getTime, stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
            signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
        Example(
            name: "Object PUT",
            head: head(
                "PUT", "/photos/puppy.jpg", date: "Tue, 27 Mar 2007 21:15:45 +0000", signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
                extra: [("Content-Type", "image/jpeg"), ("Content-Length", "94328")]),
            now: 1_175_030_145, stringToSign: "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
            signature: "MyyxeRY7whkBe+bq8fHCL/2kKUg="),
        Example(
            name: "List",
            head: head(
                "GET", "/?prefix=photos&max-keys=50&marker=puppy", date: "Tue, 27 Mar 2007 19:42:41 +0000",
                signature: "htDYFYduRNen8P9ZfE/s9SuKy0U=", extra: [("User-Agent", "Mozilla/5.0")]),
            now: 1_175_024_561, stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
            signature: "htDYFYduRNen8P9ZfE/s9SuKy0U="),
        Example(
            name: "Fetch ACL",
            head: head("GET", "/?acl", date: "Tue, 27 Mar 2007 19:44:46 +0000", signature: "c2WLPFtWHVgbEmeEG93a4cG37dM="),
            now: 1_175_024_686, stringToSign: "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
            signature: "c2WLPFtWHVgbEmeEG93a4cG37dM="),
    ]

    @Test(arguments: examples)
    func documentedExamples(_ e: Example) throws {
        let date = try #require(e.head.header("date"))
        #expect(SigV2Authenticator.stringToSign(e.head, dateLine: date, bucket: "johnsmith") == e.stringToSign)
        #expect(SigV2Authenticator.sign(e.stringToSign, secret: AWSExample.secret) == e.signature)
        let auth = try Self.authenticator(now: e.now).authenticate(e.head, virtualHostBucket: "johnsmith")
        #expect(auth.accessKey == AWSExample.accessKey)
        #expect(auth.payload == .unsigned)
        #expect(auth.presigned == false)
    }

    @Test func amzHeadersAreCanonicalizedAndXAmzDateBlanksTheDateLine() {
        let head = RequestHead(
            method: "PUT", target: "/db-backup.dat.gz?uploads&foo=bar",
            headers: [
                ("Host", "static.johnsmith.net"), ("X-Amz-Date", "Tue, 27 Mar 2007 21:06:08 +0000"), ("x-amz-acl", "public-read"),
                ("Content-Type", "application/x-download"), ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
                ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"), ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
                ("X-Amz-Meta-FileChecksum", "0x02661779"), ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ])
        #expect(
            SigV2Authenticator.stringToSign(head, dateLine: "", bucket: "static.johnsmith.net") == """
                PUT
                4gJE4saaMU4BqNR0kLY+lw==
                application/x-download

                x-amz-acl:public-read
                x-amz-date:Tue, 27 Mar 2007 21:06:08 +0000
                x-amz-meta-checksumalgorithm:crc32
                x-amz-meta-filechecksum:0x02661779
                x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net
                /static.johnsmith.net/db-backup.dat.gz?uploads
                """)
    }

    @Test func queryStringAuthentication() throws {
        let head = RequestHead(
            method: "GET",
            target: "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            headers: [("Host", "johnsmith.s3.amazonaws.com")])
        let auth = try Self.authenticator(now: Self.getTime).authenticate(head, virtualHostBucket: "johnsmith")
        #expect(auth.accessKey == AWSExample.accessKey)
        #expect(auth.presigned)
        let expected = S3Error(
            status: 403, code: "AccessDenied", message: "Request has expired",
            fields: [("Expires", "2007-03-29T03:40:20.000Z"), ("ServerTime", "2007-03-29T03:40:21.000Z")])
        #expect(throws: expected) { try Self.authenticator(now: 1_175_139_621).authenticate(head, virtualHostBucket: "johnsmith") }
    }

    @Test func wrongSignature() {
        let head = Self.head("GET", "/photos/puppy.jpg", date: "Tue, 27 Mar 2007 19:36:42 +0000", signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        let expected = S3Error(
            status: 403, code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            fields: [
                ("AWSAccessKeyId", AWSExample.accessKey),
                ("StringToSign", "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"),
                ("SignatureProvided", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            ])
        #expect(throws: expected) { try Self.authenticator(now: Self.getTime).authenticate(head, virtualHostBucket: "johnsmith") }
    }

    @Test func unknownKeyAndSkew() {
        let unknown = RequestHead(
            method: "GET", target: "/photos/puppy.jpg",
            headers: [("Date", "Tue, 27 Mar 2007 19:36:42 +0000"), ("Authorization", "AWS OTHER:sig")])
        #expect(throws: S3Error.invalidAccessKeyID.with(("AWSAccessKeyId", "OTHER"))) {
            try Self.authenticator(now: Self.getTime).authenticate(unknown)
        }
        let head = Self.head("GET", "/photos/puppy.jpg", date: "Tue, 27 Mar 2007 19:36:42 +0000", signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
        let expected = S3Error.requestTimeTooSkewed(requestTime: "Tue, 27 Mar 2007 19:36:42 +0000", serverTime: "2007-03-27T19:51:43.000Z")
        #expect(throws: expected) { try Self.authenticator(now: Self.getTime + 901).authenticate(head, virtualHostBucket: "johnsmith") }
    }
}
