import Foundation
import KeyCore
@testable import KeyModule
import Synchronization

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let time = Mutex<Date>(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(days: Double) { time.withLock { $0 = $0.addingTimeInterval(days * 86400) } }
}

extension KeyEngine {
    /// Runs an operation with a JSON object body; returns the response object or throws the fault.
    func run(_ op: String, _ body: [String: Any] = [:], caller: String = "tester") throws(KMSFault) -> JSONObject {
        switch call(op, caller: caller, body: JSONObject(body).serialized()) {
        case .success(let bytes): return try JSONObject(parsing: bytes)
        case .failure(let f): throw f
        }
    }

    /// The error type an operation fails with, or "ok".
    func outcome(_ op: String, _ body: [String: Any] = [:]) -> String {
        do { _ = try run(op, body); return "ok" } catch { return error.type }
    }

    func newKey(_ extra: [String: Any] = [:]) throws -> String {
        let r = try run("CreateKey", extra)
        return (r["KeyMetadata"] as! [String: Any])["KeyId"] as! String
    }

    func state(of id: String) throws -> String {
        let r = try run("DescribeKey", ["KeyId": id])
        return (r["KeyMetadata"] as! [String: Any])["KeyState"] as! String
    }
}

func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("s3emu-km-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
