import Foundation
import KeyCore
@testable import KeyModule
import Testing

/// The key-state matrix of the reference (§3.2), one row per operation, for each of the three states.
@Suite struct KeyStateTests {
    enum Start: String, CaseIterable { case enabled, disabled, pending }

    func engine(in start: Start) throws -> (KeyEngine, String) {
        let e = KeyEngine()
        let id = try e.newKey()
        switch start {
        case .enabled: break
        case .disabled: _ = try e.run("DisableKey", ["KeyId": id])
        case .pending: _ = try e.run("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        }
        return (e, id)
    }

    nonisolated(unsafe) static let rows: [(String, (String) -> [String: Any], [Start: String])] = [
        ("Encrypt", { ["KeyId": $0, "Plaintext": b64("x")] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
        ("GenerateDataKey", { ["KeyId": $0, "KeySpec": "AES_256"] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
        ("GenerateDataKeyWithoutPlaintext", { ["KeyId": $0, "NumberOfBytes": 16] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
        ("DescribeKey", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "ok"]),
        ("ListResourceTags", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "ok"]),
        ("GetKeyRotationStatus", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "ok"]),
        ("EnableKey", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "KMSInvalidStateException"]),
        ("DisableKey", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "KMSInvalidStateException"]),
        ("CreateAlias", { ["AliasName": "alias/x", "TargetKeyId": $0] }, [.enabled: "ok", .disabled: "ok", .pending: "KMSInvalidStateException"]),
        ("TagResource", { ["KeyId": $0, "Tags": [["TagKey": "k", "TagValue": "v"]]] }, [.enabled: "ok", .disabled: "ok", .pending: "KMSInvalidStateException"]),
        ("ScheduleKeyDeletion", { ["KeyId": $0, "PendingWindowInDays": 7] }, [.enabled: "ok", .disabled: "ok", .pending: "KMSInvalidStateException"]),
        ("CancelKeyDeletion", { ["KeyId": $0] }, [.enabled: "KMSInvalidStateException", .disabled: "KMSInvalidStateException", .pending: "ok"]),
        ("EnableKeyRotation", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
        ("DisableKeyRotation", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
        ("RotateKeyOnDemand", { ["KeyId": $0] }, [.enabled: "ok", .disabled: "DisabledException", .pending: "KMSInvalidStateException"]),
    ]

    @Test(arguments: Start.allCases)
    func matrix(start: Start) throws {
        for (op, body, expected) in Self.rows {
            let (e, id) = try engine(in: start)
            #expect(e.outcome(op, body(id)) == expected[start], "\(op) on a \(start) key")
        }
    }

    @Test func decryptFollowsTheKeyState() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        let blob = try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("secret")])["CiphertextBlob"] as! String
        _ = try e.run("DisableKey", ["KeyId": id])
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob]) == "DisabledException")
        _ = try e.run("EnableKey", ["KeyId": id])
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob]) == "ok")
        _ = try e.run("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob]) == "KMSInvalidStateException")
        _ = try e.run("CancelKeyDeletion", ["KeyId": id])
        #expect(try e.state(of: id) == "Disabled")
    }

    @Test func disabledMessageNamesTheArn() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        _ = try e.run("DisableKey", ["KeyId": id])
        #expect(throws: KMSFault("DisabledException", "arn:aws:kms:us-east-1:123456789012:key/\(id) is disabled.")) {
            try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("x")])
        }
    }

    @Test func deletionWindowEndsWithTheKeyGone() throws {
        let clock = TestClock()
        let e = KeyEngine(clock: { clock.now })
        let id = try e.newKey()
        _ = try e.run("CreateAlias", ["AliasName": "alias/doomed", "TargetKeyId": id])
        let r = try e.run("ScheduleKeyDeletion", ["KeyId": id, "PendingWindowInDays": 7])
        #expect(r["DeletionDate"] as? Double == clock.now.timeIntervalSince1970 + 7 * 86400)
        clock.advance(days: 6.9)
        #expect(try e.state(of: id) == "PendingDeletion")
        clock.advance(days: 0.2)
        #expect(e.outcome("DescribeKey", ["KeyId": id]) == "NotFoundException")
        #expect(e.outcome("DescribeKey", ["KeyId": "alias/doomed"]) == "NotFoundException")
    }
}
