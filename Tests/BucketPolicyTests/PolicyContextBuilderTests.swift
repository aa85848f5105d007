import BucketPolicy
import Testing

@Suite struct PolicyContextBuilderTests {
    @Test func absentHeadersAreAbsentKeys() {
        let context = PolicyContextBuilder.context(secureTransport: false)
        #expect(context == ["aws:SecureTransport": ["false"]])
    }

    @Test func kmsKeyIsTheKeyS3WillUse() {
        let managed = Fixture.awsManagedKey
        #expect(PolicyContextBuilder.effectiveKMSKeyARN(serverSideEncryption: "aws:kms", kmsKeyID: nil, awsManagedKeyARN: managed) == managed)
        #expect(PolicyContextBuilder.effectiveKMSKeyARN(serverSideEncryption: "aws:kms:dsse", kmsKeyID: nil, awsManagedKeyARN: managed) == managed)
        #expect(
            PolicyContextBuilder.effectiveKMSKeyARN(serverSideEncryption: "aws:kms", kmsKeyID: Fixture.otherKey, awsManagedKeyARN: managed)
                == Fixture.otherKey)
        #expect(PolicyContextBuilder.effectiveKMSKeyARN(serverSideEncryption: "AES256", kmsKeyID: nil, awsManagedKeyARN: managed) == nil)
        #expect(PolicyContextBuilder.effectiveKMSKeyARN(serverSideEncryption: nil, kmsKeyID: nil, awsManagedKeyARN: managed) == nil)
    }

    @Test func fromHeadersAndQuery() {
        let headers = [
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id": "alias/app",
            "x-amz-server-side-encryption-customer-algorithm": "AES256",
        ]
        let query = ["prefix": "logs/", "delimiter": "/", "max-keys": "10"]
        let put = PolicyContextBuilder.context(
            operation: "PutObject", secureTransport: true, header: { headers[$0] }, query: { query[$0] },
            resolveKMSKeyID: { $0 == "alias/app" ? Fixture.requiredKey : $0 }, awsManagedKeyARN: Fixture.awsManagedKey)
        #expect(
            put == [
                "aws:SecureTransport": ["true"],
                "s3:x-amz-server-side-encryption": ["aws:kms"],
                "s3:x-amz-server-side-encryption-aws-kms-key-id": [Fixture.requiredKey],
                "s3:x-amz-server-side-encryption-customer-algorithm": ["AES256"],
            ])
        let list = PolicyContextBuilder.context(
            operation: "ListObjectsV2", secureTransport: true, header: { _ in nil }, query: { query[$0] })
        #expect(
            list == [
                "aws:SecureTransport": ["true"], "s3:prefix": ["logs/"], "s3:delimiter": ["/"], "s3:max-keys": ["10"],
            ])
    }
}
