import Testing
@testable import S3Wire
@Test func placeholder() {}
