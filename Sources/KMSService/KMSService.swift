import Foundation
import KeyCore
import KeyProviders
import S3Wire

/// Where the KMS API sends its operations (the key module's client in production, an engine in tests).
public protocol KMSBackend: Sendable {
    func call(_ operation: String, caller: String, body: [UInt8]) async throws(KMSFault) -> [UInt8]
}

extension KeyModuleClient: KMSBackend {}

/// A KMS API answer, independent of the HTTP server that sends it.
public struct KMSResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
}

/// The AWS KMS JSON 1.1 API: `POST /` with `X-Amz-Target: TrentService.<Operation>`, SigV4 service `kms`.
///
/// This front end authenticates the caller, checks the envelope (method, path, content type, target) and forwards
/// the operation to the key module, which validates and performs it and writes the audit record. Errors come
/// back as `{"__type": …, "message": …}` with the status of ``KMSFault/status`` and an `x-amzn-RequestId`
/// header, which botocore copies into `ResponseMetadata.RequestId`.
public struct KMSService: Sendable {
    public let backend: any KMSBackend
    public let authenticator: SigV4Authenticator

    /// Runs after each successful operation of ``keyChangingOperations``, so that whoever caches data keys (the S3
    /// side's Bucket Keys) drops them and the new state applies to the next request.
    public let onKeyChange: (@Sendable (_ operation: String) -> Void)?

    public static let contentType = "application/x-amz-json-1.1"
    public static let targetPrefix = "TrentService."

    /// Operations that change whether a key is usable, its material, or what an alias names.
    public static let keyChangingOperations: Set<String> = [
        "DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "RotateKeyOnDemand", "EnableKeyRotation",
        "DisableKeyRotation", "CreateAlias", "UpdateAlias", "DeleteAlias", "PutKeyPolicy",
    ]

    public init(backend: any KMSBackend, authenticator: SigV4Authenticator,
                onKeyChange: (@Sendable (_ operation: String) -> Void)? = nil) {
        self.backend = backend
        self.onKeyChange = onKeyChange
        var auth = authenticator
        auth.service = "kms"
        self.authenticator = auth
    }

    /// Whether a request is meant for KMS rather than S3: it names a `TrentService` target.
    public static func isKMSRequest(_ head: RequestHead) -> Bool {
        head.header("x-amz-target")?.hasPrefix(targetPrefix) == true
    }

    /// Handles one KMS request whose body has been read.
    public func handle(_ head: RequestHead, body: [UInt8], requestId: String) async -> KMSResponse {
        do throws(KMSFault) {
            let (operation, caller) = try check(head, body: body)
            let reply = try await backend.call(operation, caller: caller, body: body)
            if Self.keyChangingOperations.contains(operation) { onKeyChange?(operation) }
            return KMSResponse(status: 200, headers: headers(requestId), body: reply)
        } catch {
            return Self.errorResponse(error, requestId: requestId)
        }
    }

    /// Validates the envelope and the signature; returns the operation and the caller's access key.
    func check(_ head: RequestHead, body: [UInt8]) throws(KMSFault) -> (String, String) {
        guard head.method == "POST", head.rawPath == "/" else {
            throw KMSFault("UnknownOperationException", "KMS requests are POST / with an X-Amz-Target header.")
        }
        guard let target = head.header("x-amz-target"), target.hasPrefix(Self.targetPrefix) else {
            throw KMSFault("UnknownOperationException", "Missing or unknown X-Amz-Target.")
        }
        let operation = String(target.dropFirst(Self.targetPrefix.count))
        guard !operation.isEmpty, !operation.hasPrefix("_") else {
            throw KMSFault("UnknownOperationException", "Unknown operation \(operation).")
        }
        let contentType = head.header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard contentType == Self.contentType || contentType == "application/json" else {
            throw KMSFault("SerializationException", "Content-Type must be \(Self.contentType).")
        }
        let caller: String
        do {
            let auth = try authenticator.authenticate(head, bodySHA256: SigV4.sha256Hex(body))
            guard let key = auth.accessKey else {
                throw KMSFault("MissingAuthenticationTokenException", "Request is missing Authentication Token")
            }
            if case .sha256(let declared) = auth.payload, declared != SigV4.sha256Hex(body) {
                throw KMSFault("InvalidSignatureException", "The request body does not match its x-amz-content-sha256.")
            }
            caller = key
        } catch let e as KMSFault {
            throw e
        } catch let e as S3Error {
            throw Self.fault(from: e)
        } catch {
            throw .internalError("Authentication failed.")
        }
        return (operation, caller)
    }

    /// KMS names for the S3 authentication errors.
    static func fault(from e: S3Error) -> KMSFault {
        switch e.code {
        case "InvalidAccessKeyId": KMSFault("UnrecognizedClientException", "The security token included in the request is invalid.")
        case "SignatureDoesNotMatch":
            KMSFault("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        case "RequestTimeTooSkewed": KMSFault("InvalidSignatureException", "Signature expired: \(e.message)")
        default: KMSFault("IncompleteSignatureException", e.message)
        }
    }

    func headers(_ requestId: String) -> [(String, String)] {
        [("Content-Type", Self.contentType), ("x-amzn-RequestId", requestId)]
    }

    /// The KMS error shape for `fault`.
    public static func errorResponse(_ fault: KMSFault, requestId: String) -> KMSResponse {
        let body = JSONObject(["__type": fault.type, "message": fault.message]).serialized()
        return KMSResponse(status: fault.status, headers: [("Content-Type", contentType), ("x-amzn-RequestId", requestId)], body: body)
    }
}
