import Foundation
import KeyCore
import KeyModule
import KMSService
import S3Wire
import Synchronization
import Testing

/// The engine as a backend, as the module serves it.
struct EngineBackend: KMSBackend {
    let engine: KeyEngine
    func call(_ operation: String, caller: String, body: [UInt8]) async throws(KMSFault) -> [UInt8] {
        try engine.call(operation, caller: caller, body: body).get()
    }
}

@Suite struct KMSServiceTests {
    static let access = "AKIDEXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    let now: Int64 = 1_800_000_000

    func service() -> KMSService {
        let auth = SigV4Authenticator(service: "kms", now: { [now] in now }) { $0 == Self.access ? Self.secret : nil }
        return KMSService(backend: EngineBackend(engine: KeyEngine()), authenticator: auth)
    }

    /// A request signed the way botocore signs KMS calls.
    func signed(_ target: String, _ body: String, secret: String = secret, access: String = access) -> RequestHead {
        let timestamp = HTTPDate.amzTimestamp(now)
        let date = String(timestamp.prefix(8))
        var headers = [("host", "127.0.0.1:9000"), ("content-type", "application/x-amz-json-1.1"), ("x-amz-date", timestamp),
                       ("x-amz-target", target)]
        let signedHeaders = ["content-type", "host", "x-amz-date", "x-amz-target"]
        let canonical = SigV4.canonicalRequest(method: "POST", canonicalURI: "/", canonicalQuery: "", headers: headers,
                                               signedHeaders: signedHeaders, payloadHash: SigV4.sha256Hex(Array(body.utf8)))
        let scope = "\(date)/us-east-1/kms/aws4_request"
        let sts = SigV4.stringToSign(timestamp: timestamp, scope: scope, canonicalRequest: canonical)
        let sig = SigV4.sign(sts, key: SigV4.signingKey(secret: secret, date: date, region: "us-east-1", service: "kms"))
        headers.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(access)/\(scope), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(sig)"))
        return RequestHead(method: "POST", target: "/", headers: headers)
    }

    func errorType(_ r: KMSResponse) throws -> String {
        try JSONObject(parsing: r.body).requiredString("__type")
    }

    @Test func signedRequestsReachTheEngine() async throws {
        let s = service()
        let r = await s.handle(signed("TrentService.GenerateRandom", #"{"NumberOfBytes":16}"#), body: Array(#"{"NumberOfBytes":16}"#.utf8), requestId: "rid")
        #expect(r.status == 200)
        #expect(r.headers.contains { $0 == ("x-amzn-RequestId", "rid") })
        #expect(r.headers.contains { $0 == ("Content-Type", "application/x-amz-json-1.1") })
        #expect(try JSONObject(parsing: r.body).blob("Plaintext")?.count == 16)
    }

    /// Key-changing operations that succeed call `onKeyChange` (S3 Bucket Keys drop their cache); reads, crypto
    /// operations and failed changes do not.
    @Test func keyChangesAreAnnounced() async throws {
        let seen = Mutex<[String]>([])
        let auth = SigV4Authenticator(service: "kms", now: { [now] in now }) { $0 == Self.access ? Self.secret : nil }
        let s = KMSService(backend: EngineBackend(engine: KeyEngine()), authenticator: auth,
                           onKeyChange: { op in seen.withLock { $0.append(op) } })
        func call(_ op: String, _ body: String) async throws -> KMSResponse {
            await s.handle(signed("TrentService." + op, body), body: Array(body.utf8), requestId: "r")
        }
        let created = try await call("CreateKey", "{}")
        let id = try #require((try JSONObject(parsing: created.body)["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
        _ = try await call("DescribeKey", #"{"KeyId":"\#(id)"}"#)
        _ = try await call("GenerateDataKey", #"{"KeyId":"\#(id)","KeySpec":"AES_256"}"#)
        #expect(seen.withLock { $0 } == [])
        #expect(try await call("DisableKey", #"{"KeyId":"\#(id)"}"#).status == 200)
        #expect(try await call("CreateAlias", #"{"AliasName":"alias/announced","TargetKeyId":"\#(id)"}"#).status == 200)
        #expect(try await call("DisableKey", #"{"KeyId":"no-such-key"}"#).status == 400)
        #expect(seen.withLock { $0 } == ["DisableKey", "CreateAlias"])
    }

    @Test func aTamperedBodyFailsTheSignature() async throws {
        let s = service()
        let r = await s.handle(signed("TrentService.GenerateRandom", #"{"NumberOfBytes":16}"#), body: Array(#"{"NumberOfBytes":17}"#.utf8), requestId: "r")
        #expect(r.status == 400)
        #expect(try errorType(r) == "InvalidSignatureException")
    }

    @Test func unknownAccessKeyIsUnrecognizedClient() async throws {
        let r = await service().handle(signed("TrentService.ListKeys", "{}", access: "NOPE"), body: Array("{}".utf8), requestId: "r")
        #expect(try errorType(r) == "UnrecognizedClientException")
    }

    @Test func unsignedRequestsAreRefused() async throws {
        let head = RequestHead(method: "POST", target: "/", headers: [("host", "h"), ("content-type", "application/x-amz-json-1.1"), ("x-amz-target", "TrentService.ListKeys")])
        let r = await service().handle(head, body: Array("{}".utf8), requestId: "r")
        #expect(try errorType(r) == "MissingAuthenticationTokenException")
    }

    @Test(arguments: ["TrentService.Nope", "TrentService._AdvanceClock", "TrentService._Ping"])
    func unknownOperations(target: String) async throws {
        let r = await service().handle(signed(target, "{}"), body: Array("{}".utf8), requestId: "r")
        #expect(try errorType(r) == "UnknownOperationException")
    }

    @Test func malformedJSONIsSerializationException() async throws {
        let r = await service().handle(signed("TrentService.ListKeys", "{nope"), body: Array("{nope".utf8), requestId: "r")
        #expect(r.status == 400)
        #expect(try errorType(r) == "SerializationException")
    }

    @Test func internalErrorsAre500() {
        #expect(KMSFault.unavailable("down").status == 500)
        #expect(KMSFault("DependencyTimeoutException", "").status == 503)
        #expect(KMSFault.notFound("x").status == 400)
    }
}
