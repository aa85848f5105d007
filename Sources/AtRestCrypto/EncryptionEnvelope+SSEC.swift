import KeyCore

extension EncryptionEnvelope {
    /// The envelope of an SSE-C object: `dataKey` sealed under `customerKey` with a fresh random salt, the salted
    /// MAC of the customer key, and the MD5 header as the client sent it. The customer key itself is not kept.
    public static func sseC(dataKey: SecretBytes, customerKey: SSECustomerKey, customerKeyMD5: String,
                            salt: [UInt8], segmentSize: Int = AtRestFormat.defaultSegmentSize)
        throws(AtRestCryptoError) -> EncryptionEnvelope
    {
        let customerSalt = AtRestFormat.newSalt()
        return EncryptionEnvelope(
            mode: .sseC, segmentSize: segmentSize, salt: salt,
            sealedDataKeys: [try customerKey.sealDataKey(dataKey, salt: customerSalt)],
            customerKeyMD5: customerKeyMD5, customerKeySalt: customerSalt,
            customerKeyMAC: customerKey.mac(salt: customerSalt))
    }

    /// True when this is an SSE-C envelope written with `customerKey` (constant-time MAC comparison).
    public func matches(customerKey: SSECustomerKey) -> Bool {
        guard mode == .sseC, !customerKeySalt.isEmpty, !customerKeyMAC.isEmpty else { return false }
        return customerKey.matches(mac: customerKeyMAC, salt: customerKeySalt)
    }

    /// The data key of an SSE-C object. Throws `customerKeyMismatch` when `customerKey` is not the one it was written
    /// with; any other error means the key matched but the envelope or its sealed data key was altered at rest.
    public func unsealDataKey(customerKey: SSECustomerKey) throws(AtRestCryptoError) -> SecretBytes {
        guard matches(customerKey: customerKey) else { throw .customerKeyMismatch }
        guard sealedDataKeys.count == 1 else { throw .malformedEnvelope("SSE-C with \(sealedDataKeys.count) sealed data keys") }
        return try customerKey.unsealDataKey(sealedDataKeys[0], salt: customerKeySalt)
    }
}
