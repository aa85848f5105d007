import AtRestCrypto
import Encryption
import Foundation
import KeyCore
import KeyProviders
import S3Wire
import Storage

/// Server-side encryption of object data: choosing the mode of a write, getting and sealing data keys, and unsealing
/// them for reads. The envelope of each stored part (`AtRestCrypto.EncryptionEnvelope`) lives in the part's
/// attributes (`sse`), with the part's plaintext size (`size`) and, for multipart parts, the upload id (`upload`),
/// since the segments are bound to bucket, key, upload and part number.
///
/// ```
/// SSE-S3    data key = provider.generateDataKey(provider.sseS3KeyId, {"s3emu:purpose": "sse-s3"}), reused across
///           objects for a while (SSES3KeyCache); each object has its own salt, hence its own segment keys
/// SSE-KMS   data key = provider.generateDataKey(key id or alias/aws/s3, user context ∪ {"aws:s3:arn": object ARN,
///           or the bucket ARN with a Bucket Key})
/// DSSE-KMS  two such data keys (inner, outer): two independent layers of AES-256-GCM per segment
/// SSE-C     data key random; sealed under a key derived from the customer key; only a salted MAC of the customer
///           key is stored, to recognise it
/// ```
extension S3Service {
    typealias SSEMode = Encryption.EncryptionMode
    typealias StoredMode = AtRestCrypto.EncryptionMode

    static let envelopeAttribute = "sse"
    static let plainSizeAttribute = "size"
    static let uploadAttribute = "upload"
    /// On an upload record: the mode chosen at CreateMultipartUpload, as an envelope without data keys.
    static let uploadEnvelopeAttribute = "sse-upload"

    /// What sealing one object or part needs.
    struct SealingPlan: Sendable {
        var envelope: EncryptionEnvelope
        var keys: SegmentKeys
        var responseHeaders: SSEResponseHeaders
        var kind: SSEKind
    }

    // MARK: - Bucket defaults

    func bucketEncryption(_ bucket: BucketRecord) -> BucketEncryptionConfiguration {
        if let text = bucket.settings["encryption"],
            let c = try? JSONDecoder().decode(BucketEncryptionConfiguration.self, from: Data(text.utf8))
        {
            return c
        }
        return .neverConfigured(blockSSECForNewBuckets: configuration.blockSSECOnNewBuckets)
    }

    func principalARN(_ r: S3Request) -> String? {
        r.auth.accessKey.map { "arn:aws:iam::\(configuration.accountId):user/\($0)" }
    }

    // MARK: - Writes

    /// Validates a write's encryption headers (transport, syntax, §3.4 order) and chooses its mode (request, else
    /// the bucket default). Nil only with `--no-default-encryption` and neither a header nor a bucket default.
    func chooseWriteMode(_ r: S3Request, bucket: BucketRecord, operation: SSEOperation) throws(S3Error) -> SSEMode? {
        try SSETransport.check(r.head, operation: operation, isTLS: r.isTLS, isSigV4: !r.auth.signatureV2,
                               allowSSECOverHTTP: configuration.allowSSECOverHTTP)
        let config = bucketEncryption(bucket)
        let denial = config.rule.blocksSSEC
            ? SSECDenialContext(principalARN: principalARN(r), operation: operation, bucket: r.bucket, key: r.key) : nil
        let headers = try SSERequestHeaders.parse(r.head, operation: operation, blockedSSEC: denial)
        if !configuration.defaultEncryption, headers.request == .none, bucket.settings["encryption"] == nil { return nil }
        return try SSEMode.choose(headers, rule: config.rule, denial: denial)
    }

    /// The context SSE-S3 data keys are bound to.
    static let sseS3Context = ["s3emu:purpose": "sse-s3"]

    /// The encryption context KMS sees for an object: the caller's pairs plus `aws:s3:arn`.
    static func kmsContext(_ user: [String: String]?, bucket: String, key: String, bucketKey: Bool) -> [String: String] {
        var c = user ?? [:]
        c["aws:s3:arn"] = bucketKey ? "arn:aws:s3:::\(bucket)" : "arn:aws:s3:::\(bucket)/\(key)"
        return c
    }

    /// S3's own checks of a KMS key id before it calls KMS (E-K4, E-K5): a key id, key ARN, alias name or alias ARN,
    /// and an ARN in the bucket's region.
    func checkKMSKeyId(_ id: String) throws(S3Error) {
        let hex = Set("0123456789abcdefABCDEF".utf8)
        func isUUID(_ s: Substring) -> Bool {
            let parts = s.splitASCII(UInt8(ascii: "-"), omittingEmptySubsequences: false)
            return parts.map { $0.count } == [8, 4, 4, 4, 12] && s.utf8.allSatisfy { hex.contains($0) || $0 == 0x2D }
        }
        func isKeyId(_ s: Substring) -> Bool {
            isUUID(s) || (s.hasPrefix("mrk-") && s.dropFirst(4).count == 32 && s.dropFirst(4).utf8.allSatisfy { hex.contains($0) })
        }
        if id.hasPrefix("arn:") {
            let parts = id.splitASCII(UInt8(ascii: ":"), maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[2] == "kms", parts[5].hasPrefix("key/") || parts[5].hasPrefix("alias/") else {
                throw S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid keyId '\(id)'")
            }
            guard parts[3] == Substring(configuration.region) else {
                throw S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid arn \(parts[3])")
            }
            if parts[5].hasPrefix("key/"), !isKeyId(parts[5].dropFirst(4)) {
                throw S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid keyId '\(id)'")
            }
            return
        }
        if id.hasPrefix("alias/") { return }
        guard isKeyId(Substring(id)) else { throw S3Error(status: 400, code: "KMS.NotFoundException", message: "Invalid keyId '\(id)'") }
    }

    /// Fresh data key(s) for one object or part, sealed as the mode says, and the segment keys to write with.
    func sealingPlan(_ mode: SSEMode, bucket: String, key: String, uploadId: String? = nil, partNumber: Int? = nil,
                     caller: String) async throws -> SealingPlan {
        let salt = AtRestFormat.newSalt()
        let provider = try keyProvider()
        func kms(_ fault: KMSFault) -> S3Error { Self.s3Error(kms: fault) }
        let envelope: EncryptionEnvelope
        var dataKeys: [SecretBytes]
        var kmsARN: String?
        switch mode {
        case .sseS3:
            // SSE-S3 keys are S3's own: bound to the service, not to an object ARN, and reused across objects
            // (each object still gets its own salt, so its own segment keys).
            let dk: DataKey
            do { dk = try await sseS3Keys.dataKey(provider: provider, context: Self.sseS3Context, caller: "s3emu-sse-s3") } catch { throw kms(error) }
            dataKeys = [dk.plaintext]
            envelope = EncryptionEnvelope(mode: .sseS3, salt: salt, sealedDataKeys: [dk.sealed], kmsKeyARN: dk.keyId, keyVersion: dk.keyVersion)
        case .sseKMS(let keyId, let context, let contextHeader, let bucketKey):
            try checkKMSKeyId(keyId)
            let kc = Self.kmsContext(context, bucket: bucket, key: key, bucketKey: bucketKey)
            let dk: DataKey
            do {
                if bucketKey {
                    dk = try await bucketKeys.dataKey(for: .init(bucket: bucket, keyId: keyId, context: kc), provider: provider, caller: caller)
                } else {
                    dk = try await provider.generateDataKey(keyId: keyId, context: kc, caller: caller)
                }
            } catch { throw kms(error) }
            dataKeys = [dk.plaintext]
            kmsARN = dk.keyId
            envelope = EncryptionEnvelope(mode: .sseKMS, salt: salt, sealedDataKeys: [dk.sealed], kmsKeyARN: dk.keyId,
                                          keyVersion: dk.keyVersion, encryptionContext: contextHeader, bucketKeyEnabled: bucketKey)
        case .dsseKMS(let keyId, let context, let contextHeader):
            try checkKMSKeyId(keyId)
            let kc = Self.kmsContext(context, bucket: bucket, key: key, bucketKey: false)
            let inner: DataKey, outer: DataKey
            do {
                inner = try await provider.generateDataKey(keyId: keyId, context: kc, caller: caller)
                outer = try await provider.generateDataKey(keyId: keyId, context: kc, caller: caller)
            } catch { throw kms(error) }
            dataKeys = [inner.plaintext, outer.plaintext]
            kmsARN = inner.keyId
            envelope = EncryptionEnvelope(mode: .dsseKMS, salt: salt, sealedDataKeys: [inner.sealed, outer.sealed],
                                          kmsKeyARN: inner.keyId, keyVersion: inner.keyVersion, encryptionContext: contextHeader)
        case .sseC(let headers):
            let customer = try Self.customerKey(headers)
            let dk = SecretBytes.random(count: AtRestFormat.keySize)
            do {
                envelope = try EncryptionEnvelope.sseC(dataKey: dk, customerKey: customer, customerKeyMD5: headers.keyMD5, salt: salt)
            } catch { throw S3Error.internalError }
            dataKeys = [dk]
        }
        let context = SegmentContext(mode: envelope.mode, bucket: bucket, key: key, uploadId: uploadId, partNumber: partNumber)
        let keys: SegmentKeys
        do {
            keys = try SegmentKeys(dataKey: dataKeys[0], outerDataKey: dataKeys.count > 1 ? dataKeys[1] : nil, salt: salt, context: context)
        } catch { throw S3Error.internalError }
        let operation: SSEOperation = partNumber == nil ? .put : .uploadPart
        return SealingPlan(envelope: envelope, keys: keys,
                           responseHeaders: SSEResponseHeaders(mode: mode, operation: operation, kmsKeyARN: kmsARN), kind: mode.kind)
    }

    static func customerKey(_ headers: SSECustomerKeyHeaders) throws(S3Error) -> SSECustomerKey {
        do { return try SSECustomerKey(headers.key) } catch {
            throw S3Error.invalidArgument("The secret key was invalid for the specified algorithm.", name: "x-amz-server-side-encryption")
        }
    }

    func keyProvider() throws(S3Error) -> any KeyProvider {
        guard let p = configuration.keyProvider else {
            throw S3Error(status: 500, code: "KMS.KeyUnavailableException", message: "This emulator was started without a key provider.")
        }
        return p
    }

    /// A KMS error as S3 reports it (`KMS.<type>`; §3.2 E-K3…E-K10).
    static func s3Error(kms fault: KMSFault) -> S3Error {
        S3Error(status: fault.status >= 500 ? 500 : 400, code: "KMS." + fault.type,
                message: fault.message.isEmpty ? "The KMS request failed." : fault.message)
    }

    /// The attributes a sealed part carries.
    static func partAttributes(_ plan: SealingPlan?, plainSize: Int64, uploadId: String? = nil) -> [String: String] {
        guard let plan else { return [:] }
        var a = [envelopeAttribute: Base64.encode(plan.envelope.encoded()), plainSizeAttribute: String(plainSize)]
        if let uploadId { a[uploadAttribute] = uploadId }
        return a
    }

    // MARK: - Reads

    /// The envelope of a stored part, if it is encrypted.
    static func envelope(_ attributes: [String: String]) throws(S3Error) -> EncryptionEnvelope? {
        guard let text = attributes[envelopeAttribute] else { return nil }
        guard let bytes = Base64.decode(text), let e = try? EncryptionEnvelope.decode(bytes) else { throw S3Error.internalError }
        return e
    }

    /// Whether SSE-C headers carry the key an envelope was written with (salted MAC, constant time).
    static func customerKeyMatches(_ envelope: EncryptionEnvelope?) -> (SSECustomerKeyHeaders) -> Bool {
        { headers in
            guard let envelope, let key = try? SSECustomerKey(headers.key) else { return false }
            return envelope.matches(customerKey: key)
        }
    }

    /// The envelope of an object's first part: its mode, KMS key and SSE-C MAC (every part has the same mode).
    static func firstEnvelope(_ record: ObjectRecord) throws(S3Error) -> EncryptionEnvelope? {
        guard let first = record.parts.first else { return nil }
        return try envelope(first.attributes)
    }

    /// Response headers of a stored object for `operation`.
    static func responseHeaders(_ record: ObjectRecord, operation: SSEOperation) -> SSEResponseHeaders {
        guard let e = try? firstEnvelope(record) else {
            return SSEResponseHeaders(kind: nil, operation: operation)
        }
        return SSEResponseHeaders(kind: e.mode.sseKind, operation: operation, kmsKeyARN: e.kmsKeyARN,
                                  bucketKeyEnabled: e.bucketKeyEnabled, customerKeyMD5: e.customerKeyMD5)
    }

    /// Read-side checks (§3.4 step 4) and the segment keys of every part of `record` (nil for plain parts).
    func openingKeys(_ r: S3Request, record: ObjectRecord, operation: SSEOperation, customerKey: SSECustomerKeyHeaders?,
                     parts wanted: Set<Int>? = nil) async throws -> [SegmentKeys?] {
        let envelopes = try record.parts.map { p throws(S3Error) in try Self.envelope(p.attributes) }
        let first = envelopes.first ?? nil
        let isSSEC = first?.mode == .sseC
        try SSECustomerKeyCheck.checkRead(customerKey: customerKey, objectIsSSEC: isSSEC, keyMatches: Self.customerKeyMatches(first))
        if let first, first.mode == .sseKMS || first.mode == .dsseKMS {
            try SSETransport.checkKMS(isTLS: r.isTLS, isSigV4: !r.auth.signatureV2)
        }
        var out: [SegmentKeys?] = []
        for (i, part) in record.parts.enumerated() {
            guard let e = envelopes[i], wanted?.contains(i) ?? true else { out.append(nil); continue }
            out.append(try await segmentKeys(e, bucket: record.bucket, key: record.key, part: part, multipart: record.multipart,
                                             customerKey: customerKey, caller: r.auth.accessKey ?? "anonymous"))
        }
        return out
    }

    /// Unseals one part's data key(s) and derives its segment keys.
    func segmentKeys(_ e: EncryptionEnvelope, bucket: String, key: String, part: ObjectPart, multipart: Bool,
                     customerKey: SSECustomerKeyHeaders?, caller: String) async throws -> SegmentKeys {
        let uploadId = part.attributes[Self.uploadAttribute]
        let context = SegmentContext(mode: e.mode, bucket: bucket, key: key, uploadId: uploadId,
                                     partNumber: uploadId == nil ? nil : part.number)
        var dataKeys: [SecretBytes] = []
        switch e.mode {
        case .sseC:
            guard let customerKey else { throw SSEErrors.customerKeyRequired }
            guard let key = try? SSECustomerKey(customerKey.key) else { throw SSEErrors.wrongCustomerKey }
            do {
                dataKeys = [try e.unsealDataKey(customerKey: key)]
            } catch AtRestCryptoError.customerKeyMismatch {
                throw SSEErrors.wrongCustomerKey
            } catch {
                // The key is the one this part was written with (its salted MAC matched), so a sealed data key that
                // does not open was altered at rest: a server fault, like a segment that fails authentication.
                throw S3Error.internalError
            }
        default:
            let provider = try keyProvider()
            if e.mode == .sseS3, let sealed = e.sealedDataKeys.first {
                do { dataKeys = [try await sseS3Keys.open(sealed, provider: provider, context: Self.sseS3Context, caller: "s3emu-sse-s3")] } catch {
                    if error.type == "InvalidCiphertextException" { throw S3Error.internalError }
                    throw Self.s3Error(kms: error)
                }
                break
            }
            var user: [String: String]?
            if let header = e.encryptionContext { user = try SSERequestHeaders.parseContext(header) }
            let kc = Self.kmsContext(user, bucket: bucket, key: key, bucketKey: e.bucketKeyEnabled)
            let bucketKey = e.mode == .sseKMS && e.bucketKeyEnabled
            for sealed in e.sealedDataKeys {
                do {
                    dataKeys.append(bucketKey
                        ? try await bucketKeys.open(sealed, context: kc, provider: provider, caller: caller)
                        : try await provider.decryptDataKey(sealed, keyId: nil, context: kc, caller: caller))
                } catch {
                    if error.type == "InvalidCiphertextException" { throw S3Error.internalError }
                    throw Self.s3Error(kms: error)
                }
            }
        }
        do { return try SegmentKeys(envelope: e, dataKeys: dataKeys, context: context) } catch { throw S3Error.internalError }
    }
}

extension AtRestCrypto.EncryptionMode {
    /// The response-header kind of a stored mode.
    var sseKind: SSEKind {
        switch self {
        case .sseS3: .sseS3
        case .sseKMS: .sseKMS
        case .dsseKMS: .dsseKMS
        case .sseC: .sseC
        }
    }
}

extension ObjectPart {
    /// The part's plaintext size (its blob holds ciphertext and tags when encrypted).
    var plainSize: Int64 { attributes[S3Service.plainSizeAttribute].flatMap(Int64.init) ?? blob.size }
}

extension PartRecord {
    var plainSize: Int64 { attributes[S3Service.plainSizeAttribute].flatMap(Int64.init) ?? blob.size }
}

extension S3Service {
    /// Opens an object for reading its bytes, refusing a record whose total size disagrees with its parts' plaintext
    /// sizes: the parts' sizes are bound to their ciphertext (they fix where each final segment ends), the total is
    /// not, so such a record is corrupt and is never served (500 InternalError, logged), never truncated or padded.
    func openForReading(bucket: String, key: String) async throws -> OpenedObject? {
        guard let opened = try await store.openObject(bucket: bucket, key: key) else { return nil }
        let record = opened.record
        guard record.parts.reduce(Int64(0), { $0 + $1.plainSize }) == record.size else {
            throw StorageError.corrupt("the record of \(bucket)/\(key) says \(record.size) bytes, its parts disagree")
        }
        return opened
    }
}

