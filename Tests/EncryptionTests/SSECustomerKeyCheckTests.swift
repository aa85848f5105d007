import KeyCore
import S3Wire
import Testing

@testable import Encryption

@Suite struct SSECustomerKeyCheckTests {
    static let right = Keys.headers
    static let wrong = SSECustomerKeyHeaders(key: SecretBytes(Keys.other32))
    static func matches(_ h: SSECustomerKeyHeaders) -> Bool { h == right }

    /// (label, key sent, object is SSE-C, expected error or nil) — E-C9, E-C10, E-C11; HEAD gets the same status (E-C12).
    static let readTable: [(String, SSECustomerKeyHeaders?, Bool, S3Error?)] = [
        ("plain object, no key", nil, false, nil),
        ("E-C9 key on non-SSE-C object", right, false, Ref.ec9),
        ("E-C10 SSE-C object without key", nil, true, Ref.ec10),
        ("E-C11 wrong key", wrong, true, Ref.ec11),
        ("right key", right, true, nil),
    ]

    @Test func readChecks() throws {
        for operation in reads {
            for (label, key, objectIsSSEC, expected) in Self.readTable {
                let run = { () throws(S3Error) in
                    try SSECustomerKeyCheck.checkRead(customerKey: key, objectIsSSEC: objectIsSSEC, keyMatches: Self.matches)
                }
                if let expected { expectS3Error(expected, "\(operation) \(label)", run) } else { try run() }
            }
        }
    }

    /// E-C12: HEAD statuses — no key 400, wrong key 403, bad algorithm 400.
    @Test func headStatuses() throws {
        func status(_ headers: [(String, String)]) -> Int {
            do {
                let parsed = try parse(headers, .head)
                try SSECustomerKeyCheck.checkRead(customerKey: parsed.request.customerKey, objectIsSSEC: true, keyMatches: Self.matches)
                return 200
            } catch { return error.status }
        }
        #expect(status([]) == 400)
        #expect(status(Keys.trio(Keys.other32)) == 403)
        #expect(status(Keys.trio(algorithm: "AES128")) == 400)
        #expect(status(Keys.trio()) == 200)
    }

    @Test func keyMatcherOnlyRunsWhenBothAreSSEC() throws {
        var calls = 0
        try? SSECustomerKeyCheck.checkRead(customerKey: Self.right, objectIsSSEC: false) { _ in calls += 1; return true }
        try? SSECustomerKeyCheck.checkRead(customerKey: nil, objectIsSSEC: true) { _ in calls += 1; return true }
        #expect(calls == 0)
        try SSECustomerKeyCheck.checkRead(customerKey: Self.right, objectIsSSEC: true) { _ in calls += 1; return true }
        #expect(calls == 1)
    }

    /// (label, copy-source key, source is SSE-C, expected) — E-C16, E-C10, E-C15.
    static let copyTable: [(String, SSECustomerKeyHeaders?, Bool, S3Error?)] = [
        ("plain source", nil, false, nil),
        ("E-C16 copy-source key on non-SSE-C source", right, false, Ref.ec16),
        ("E-C10 SSE-C source without copy-source key", nil, true, Ref.ec10),
        ("E-C15 wrong copy-source key", wrong, true, Ref.ec15),
        ("right copy-source key", right, true, nil),
    ]

    @Test func copySourceChecks() throws {
        for (label, key, sourceIsSSEC, expected) in Self.copyTable {
            let run = { () throws(S3Error) in
                try SSECustomerKeyCheck.checkCopySource(copySourceKey: key, sourceIsSSEC: sourceIsSSEC, keyMatches: Self.matches)
            }
            if let expected { expectS3Error(expected, label, run) } else { try run() }
        }
    }

    /// (label, operations, part key, upload is SSE-C, expected) — E-C13, E-C14.
    static let partTable: [(String, [SSEOperation], SSECustomerKeyHeaders?, Bool, S3Error?)] = [
        ("plain upload, no key", [.uploadPart, .uploadPartCopy, .completeMultipartUpload, .listParts], nil, false, nil),
        ("E-C13 key on plain upload", [.uploadPart, .uploadPartCopy, .completeMultipartUpload, .listParts], right, false, Ref.ec13),
        ("E-C13 no key on SSE-C upload", [.uploadPart, .uploadPartCopy], nil, true, Ref.ec13),
        ("Complete/ListParts need no key", [.completeMultipartUpload, .listParts], nil, true, nil),
        ("E-C14 other key", [.uploadPart, .uploadPartCopy, .completeMultipartUpload, .listParts], wrong, true, Ref.ec14),
        ("same key", [.uploadPart, .uploadPartCopy, .completeMultipartUpload, .listParts], right, true, nil),
    ]

    @Test func partChecks() throws {
        for (label, operations, key, uploadIsSSEC, expected) in Self.partTable {
            for operation in operations {
                let run = { () throws(S3Error) in
                    try SSECustomerKeyCheck.checkPart(
                        customerKey: key, uploadIsSSEC: uploadIsSSEC, operation: operation, keyMatches: Self.matches)
                }
                if let expected { expectS3Error(expected, "\(operation) \(label)", run) } else { try run() }
            }
        }
    }
}
