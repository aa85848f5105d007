import AtRestCrypto
import ClientSideEncryption
import Encryption
import Foundation
import KeyCore
import KeyProviders
import NIOCore
import S3Wire
import Storage

/// What the inspector's pages show, gathered from the store and the key module.
extension WebInspector {
    // MARK: - Buckets and objects

    func bucketRows() async throws(Failure) -> [InspectorPages.BucketRow] {
        do {
            var rows: [InspectorPages.BucketRow] = []
            for b in try await service.store.listBuckets() {
                var count = 0
                var after: String?
                while count < Self.countCap {
                    let page = try await service.store.list(bucket: b.name, prefix: "", delimiter: nil, after: after,
                                                            maxKeys: min(1000, Self.countCap - count))
                    count += page.objects.count
                    guard page.isTruncated, let last = page.lastReturned else { break }
                    after = last
                }
                let config = service.bucketEncryption(b)
                var encryption = Self.label(config.rule.algorithm)
                if config.rule.algorithm.usesKMS { encryption += " (\(config.rule.kmsMasterKeyID ?? "alias/aws/s3"))" }
                if config.rule.bucketKeyEnabled { encryption += ", bucket key" }
                if b.settings["encryption"] == nil { encryption += " — default" }
                rows.append(.init(name: b.name, region: b.region, createdMs: b.createdMs, objectCount: count,
                                  countCapped: count >= Self.countCap, encryption: encryption, sseCBlocked: config.rule.blocksSSEC,
                                  hasPolicy: b.settings["policy"] != nil))
            }
            return rows
        } catch {
            throw Failure(status: .internalServerError, title: "Could not list buckets", message: "\(error)")
        }
    }

    static func label(_ a: SSEAlgorithm) -> String {
        switch a {
        case .aes256: "SSE-S3"
        case .kms: "SSE-KMS"
        case .kmsDSSE: "DSSE-KMS"
        }
    }

    func objectRows(bucket: String, prefix: String, after: String?) async throws(Failure) -> ([InspectorPages.ObjectRow], String?) {
        do {
            guard try await service.store.bucket(bucket) != nil else { throw Failure.notFound("There is no bucket \(bucket).") }
            let page = try await service.store.list(bucket: bucket, prefix: prefix, delimiter: nil, after: after, maxKeys: Self.pageSize)
            let rows = page.objects.map { o in
                let e = try? S3Service.firstEnvelope(o)
                let kms = e?.mode == .sseKMS || e?.mode == .dsseKMS
                return InspectorPages.ObjectRow(
                    key: o.key, size: o.size, storedSize: o.parts.reduce(0) { $0 + $1.blob.size },
                    mode: InspectorPages.modeLabel(serverMode: e?.mode.rawValue, clientSide: Self.clientSideFormat(o)),
                    kmsKeyARN: kms ? e?.kmsKeyARN : nil, keyVersion: kms ? e?.keyVersion : nil, lastModifiedMs: o.lastModifiedMs,
                    parts: o.parts.count)
            }
            return (rows, page.isTruncated ? page.lastReturned : nil)
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure(status: .internalServerError, title: "Could not list objects", message: "\(error)")
        }
    }

    /// `V3`, `V2`, `V1`, `instruction file` for an object whose own metadata carries S3 Encryption Client keys.
    static func clientSideFormat(_ o: ObjectRecord) -> String? {
        let metadata = Dictionary(o.userMetadata.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }) { a, _ in a }
        guard ContentMetadata.hasEnvelopeKeys(metadata) else { return nil }
        switch try? ContentMetadata.locate(metadata) {
        case .object(let v)?: return v.rawValue
        case .instructionFile?: return "(instruction file)"
        case nil: return "(malformed)"
        }
    }

    // MARK: - One object

    func objectModel(bucket: String, key: String) async throws(Failure) -> InspectorObjectPage.Model {
        do {
            let info = try await service.inspect(bucket: bucket, key: key, caller: Self.caller)
            guard let opened = try await service.store.openObject(bucket: bucket, key: key) else {
                throw Failure.notFound("There is no object \(key) in \(bucket).")
            }
            let o = opened.record
            let n = InspectorObjectPage.dumpLength
            var stored: [UInt8] = []
            for i in o.parts.indices where stored.count < n {
                stored += try await service.storedBytes(opened.sources[i], upTo: n - stored.count)
            }
            var model = InspectorObjectPage.Model(bucket: bucket, key: key, inspection: info, stored: stored)
            let envelope = try S3Service.firstEnvelope(o)
            if info["client_side"] is [String: Any] {
                model.plaintextNote = "Client-side encrypted: the client encrypted the body before upload and holds the key (or its KMS key "
                    + "wraps it); the server never decrypts such objects. Read it with s3emu cse get or the S3 Encryption Client."
            } else if envelope?.mode == .sseC {
                model.plaintextNote = "SSE-C: the server keeps only a salted MAC of the customer's key, never the key, so it cannot "
                    + "decrypt this object by itself. GET it with the same SSE-C headers to read it."
            } else {
                model.plaintext = try await plaintextPrefix(opened, length: n)
            }
            return model
        } catch let f as Failure {
            throw f
        } catch let e as S3Error where e.status == 404 {
            throw Failure.notFound(e.message)
        } catch {
            throw Failure(status: .internalServerError, title: "Could not inspect \(key)", message: "\(error)")
        }
    }

    /// The first `length` plaintext bytes of an object the server can decrypt (unencrypted, SSE-S3, SSE-KMS, DSSE).
    func plaintextPrefix(_ opened: OpenedObject, length: Int) async throws -> [UInt8] {
        let o = opened.record
        guard o.size > 0 else { return [] }
        let end = min(Int64(length), o.size) - 1
        var keys: [SegmentKeys?] = []
        var start: Int64 = 0
        for p in o.parts {
            guard start <= end, let e = try S3Service.envelope(p.attributes) else { keys.append(nil); start += p.plainSize; continue }
            keys.append(try await service.segmentKeys(e, bucket: o.bucket, key: o.key, part: p, multipart: o.multipart,
                                                      customerKey: nil, caller: Self.caller))
            start += p.plainSize
        }
        var plain: [UInt8] = []
        try await S3Service.forEachChunk(opened, span: 0...end, keys: keys, allocator: ByteBufferAllocator()) {
            plain += Array($0.readableBytesView)
        }
        return plain
    }

    // MARK: - KMS keys

    /// Every KMS key, through the key module's KMS operations; a note when the module is absent or down.
    func keyRows() async -> ([InspectorPages.KeyRow], String?) {
        guard let keyModule else { return ([], "This emulator runs without a key module, so there are no KMS keys to show.") }
        do throws(KMSFault) {
            var ids: [String] = []
            var marker: String?
            repeat {
                var req: [String: Any] = ["Limit": 1000]
                if let marker { req["Marker"] = marker }
                let r = try await keyModule.call("ListKeys", caller: Self.caller, json: req)
                ids += (r["Keys"] as? [[String: Any]] ?? []).compactMap { $0["KeyId"] as? String }
                marker = try (r.bool("Truncated") ?? false) ? r.string("NextMarker") : nil
            } while marker != nil
            var aliases: [String: [String]] = [:]
            marker = nil
            repeat {
                var req: [String: Any] = ["Limit": 100]
                if let marker { req["Marker"] = marker }
                let r = try await keyModule.call("ListAliases", caller: Self.caller, json: req)
                for a in r["Aliases"] as? [[String: Any]] ?? [] {
                    if let target = a["TargetKeyId"] as? String, let name = a["AliasName"] as? String { aliases[target, default: []].append(name) }
                }
                marker = try (r.bool("Truncated") ?? false) ? r.string("NextMarker") : nil
            } while marker != nil
            var rows: [InspectorPages.KeyRow] = []
            for id in ids { rows.append(await keyRow(id, aliases: aliases[id] ?? [], module: keyModule)) }
            return (rows.sorted { $0.creationDate < $1.creationDate }, nil)
        } catch {
            return ([], "The key module did not answer: \(error.type): \(error.message)")
        }
    }

    func keyRow(_ id: String, aliases: [String], module: KeyModuleClient) async -> InspectorPages.KeyRow {
        var row = InspectorPages.KeyRow(id: id, arn: "", description: "", state: "?", keySpec: "?", keyUsage: "?", manager: "?",
                                        aliases: aliases.sorted(), creationDate: 0, materials: [])
        do throws(KMSFault) {
            let m = try await module.call("DescribeKey", caller: Self.caller, json: ["KeyId": id])["KeyMetadata"] as? [String: Any] ?? [:]
            row.arn = m["Arn"] as? String ?? ""
            row.description = m["Description"] as? String ?? ""
            row.state = m["KeyState"] as? String ?? "?"
            row.keySpec = m["KeySpec"] as? String ?? "?"
            row.keyUsage = m["KeyUsage"] as? String ?? "?"
            row.manager = m["KeyManager"] as? String ?? "?"
            row.creationDate = Self.number(m["CreationDate"]) ?? 0
            row.deletionDate = Self.number(m["DeletionDate"])
            guard row.keySpec == "SYMMETRIC_DEFAULT" else { return row }
            let status = try await module.call("GetKeyRotationStatus", caller: Self.caller, json: ["KeyId": id])
            row.rotationEnabled = try status.bool("KeyRotationEnabled") ?? false
            row.rotationPeriodDays = Self.number(status["RotationPeriodInDays"]).map { Int($0) }
            row.nextRotation = Self.number(status["NextRotationDate"])
            let rotations = try await module.call("ListKeyRotations", caller: Self.caller,
                                                  json: ["KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL", "Limit": 1000])
            row.materials = (rotations["Rotations"] as? [[String: Any]] ?? []).map {
                .init(materialId: $0["KeyMaterialId"] as? String ?? "?", current: $0["KeyMaterialState"] as? String == "CURRENT",
                      rotationType: $0["RotationType"] as? String, rotationDate: Self.number($0["RotationDate"]))
            }
        } catch {
            row.problem = "\(error.type): \(error.message)"
        }
        return row
    }

    /// A JSON number (the module's timestamps are epoch seconds).
    static func number(_ v: Any?) -> Double? {
        switch v {
        case let n as NSNumber: n.doubleValue
        case let d as Double: d
        case let i as Int: Double(i)
        default: nil
        }
    }
}
