import Foundation
import KeyCore

/// The default key provider: data keys from the key module, through its KMS operations.
///
/// `generateDataKey` is KMS `GenerateDataKey` (AES_256) and `decryptDataKey` is `Decrypt` (in their compact binary
/// form, ``KeyModuleBinary``, with the same checks and audit records), so the sealed data key
/// is a KMS ciphertext blob naming its key and backing-key version, and both appear in the module's audit trail
/// with the caller and the encryption context. A nil key id means the AWS-managed `alias/aws/s3`.
public struct KeyModuleProvider: KeyProvider {
    public let client: KeyModuleClient
    public var name: String { "keymodule" }
    /// The module's hidden SSE-S3 key.
    public var sseS3KeyId: String? { KeyModuleBinary.sseS3KeyId }

    public init(client: KeyModuleClient) { self.client = client }

    public func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        var w = KeyModuleBinary.Writer()
        w.string(keyId ?? "alias/aws/s3")
        w.u16(32)
        w.context(context)
        var r = KeyModuleBinary.Reader(try await client.call(KeyModuleBinary.generateDataKey, caller: caller, body: w.bytes))
        let arn = try r.string()
        let materialId = try r.string()
        let plain = try r.data()
        let blob = try r.data()
        return DataKey(plaintext: SecretBytes(plain), sealed: blob, keyId: arn, keyVersion: materialId)
    }

    public func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        var w = KeyModuleBinary.Writer()
        w.string(keyId ?? "")
        w.data(sealed)
        w.context(context)
        var r = KeyModuleBinary.Reader(try await client.call(KeyModuleBinary.decrypt, caller: caller, body: w.bytes))
        _ = try r.string()
        return SecretBytes(try r.data())
    }

    public func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        let r = try await client.call("DescribeKey", caller: caller, json: ["KeyId": keyId ?? "alias/aws/s3"])
        guard let m = r["KeyMetadata"] as? [String: Any], let arn = m["Arn"] as? String, let state = m["KeyState"] as? String else {
            throw .internalError("The key module returned no key metadata.")
        }
        return KeyDescription(keyId: arn, state: state)
    }
}
