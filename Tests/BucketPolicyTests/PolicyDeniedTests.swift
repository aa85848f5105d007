import BucketPolicy
import S3Wire
import Testing

@Suite struct PolicyDeniedTests {
    @Test func sameAccountGetsTheDetailedMessage() {
        let error = PolicyDenied.error(
            principal: Fixture.alice, bucketOwnerAccountID: Fixture.owner, action: "s3:PutObject",
            resource: "arn:aws:s3:::bkt/key")
        #expect(error.status == 403)
        #expect(error.code == "AccessDenied")
        #expect(
            error.message
                == "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:PutObject on resource: "
                + "\"arn:aws:s3:::bkt/key\" with an explicit deny in a resource-based policy")
    }

    @Test(arguments: [PolicyPrincipal.anonymous, Fixture.stranger])
    func othersGetAccessDenied(_ principal: PolicyPrincipal) {
        let request = PolicyRequest(action: "s3:GetObject", resource: "arn:aws:s3:::bkt/key", principal: principal)
        #expect(PolicyDenied.error(for: request, bucketOwnerAccountID: Fixture.owner) == S3Error.accessDenied)
    }
}
