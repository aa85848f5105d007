import Testing

@testable import S3Wire

@Suite struct BucketNameTests {
    @Test(arguments: [
        ("abc", true),
        ("ab", false),
        ("a", false),
        ("", false),
        (String(repeating: "a", count: 63), true),
        (String(repeating: "a", count: 64), false),
        ("my-bucket.example", true),
        ("123", true),
        ("1.2.3", true),
        ("UPPER", false),
        ("Abc", false),
        ("a..b", false),
        ("a.-b", false),
        ("a-.b", false),
        ("a--b", true),
        ("192.168.1.1", false),
        ("999.999.999.999", false),
        ("192.168.1.1a", true),
        ("-abc", false),
        ("abc-", false),
        (".abc", false),
        ("abc.", false),
        ("a_b", false),
        ("a b", false),
        ("ab/c", false),
        ("café", false),
        ("xn--abc", false),
        ("sthree-abc", false),
        ("amzn-s3-demo-bucket", false),
        ("abc-s3alias", false),
        ("abc--ol-s3", false),
        ("abc.mrap", false),
        ("abc--x-s3", false),
        ("abc--table-s3", false),
        ("xn-abc", true),
    ])
    func validity(_ name: String, _ valid: Bool) {
        #expect(BucketName.isValid(name) == valid)
    }
}
