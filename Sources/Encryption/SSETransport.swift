import S3Wire

/// The transport and signing requirements of §1.7, checked before any header validation (§3.4 step 2).
public enum SSETransport {
    /// E-C1: a request carrying SSE-C or copy-source SSE-C headers must use TLS, unless the server allows
    /// SSE-C over plain HTTP (`allowSSECOverHTTP`, a test convenience AWS does not offer).
    public static func checkCustomerKey(_ head: RequestHead, isTLS: Bool, allowSSECOverHTTP: Bool = false) throws(S3Error) {
        guard !isTLS, !allowSSECOverHTTP else { return }
        if SSECustomerKeyHeaders.anyPresent(head, names: SSEHeader.customerTrio + SSEHeader.copySourceTrio) {
            throw SSEErrors.customerKeyRequiresTLS
        }
    }

    /// E-K8 then E-K7: a write or read of a KMS-protected object must use TLS and SigV4.
    ///
    /// Call it for a write whose chosen mode is SSE-KMS/DSSE-KMS (also when it comes from the bucket default) and
    /// for a read of an object stored with such a mode. Plain HTTP is reported before the signature version [I].
    public static func checkKMS(isTLS: Bool, isSigV4: Bool) throws(S3Error) {
        if !isTLS { throw SSEErrors.kmsRequiresTLS }
        if !isSigV4 { throw SSEErrors.kmsRequiresSigV4 }
    }

    /// The header-level transport checks of one request, in order: E-C1, then — on operations that choose
    /// encryption and send `x-amz-server-side-encryption: aws:kms` or `aws:kms:dsse` — E-K8/E-K7.
    ///
    /// Checks that depend on the object or on the bucket default (GET of a KMS object, a write whose mode comes
    /// from a KMS default) call ``checkKMS(isTLS:isSigV4:)`` once the mode is known.
    public static func check(
        _ head: RequestHead, operation: SSEOperation, isTLS: Bool, isSigV4: Bool, allowSSECOverHTTP: Bool = false
    ) throws(S3Error) {
        try checkCustomerKey(head, isTLS: isTLS, allowSSECOverHTTP: allowSSECOverHTTP)
        if operation.choosesEncryption, let value = head.header(SSEHeader.serverSideEncryption),
            SSEAlgorithm(rawValue: value)?.usesKMS == true
        {
            try checkKMS(isTLS: isTLS, isSigV4: isSigV4)
        }
    }
}
