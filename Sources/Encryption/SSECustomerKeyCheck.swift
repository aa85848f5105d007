import S3Wire

/// SSE-C checks that need the stored object or upload (§3.4 step 4, §6, §7). Pure: the caller says whether the
/// object is SSE-C and how to tell whether a presented key is the right one (e.g. by comparing a keyed MAC).
///
/// Header syntax (E-C3…E-C7) and E-S2 were already reported by ``SSERequestHeaders/parse(_:operation:blockedSSEC:)``.
/// HEAD answers the same status with no body (E-C12).
public enum SSECustomerKeyCheck {
    /// GetObject, HeadObject, GetObjectAttributes: E-C9 (key sent, object not SSE-C), E-C10 (SSE-C object, no
    /// key), E-C11 (wrong key, 403). `keyMatches` runs only when both sides are SSE-C.
    public static func checkRead(
        customerKey: SSECustomerKeyHeaders?, objectIsSSEC: Bool, keyMatches: (SSECustomerKeyHeaders) -> Bool
    ) throws(S3Error) {
        try compare(
            customerKey, storedIsSSEC: objectIsSSEC, keyRequired: true, keyMatches: keyMatches,
            notApplicable: SSEErrors.encryptionParametersNotApplicable, missing: SSEErrors.customerKeyRequired,
            mismatch: SSEErrors.wrongCustomerKey)
    }

    /// The source of CopyObject / UploadPartCopy: E-C16 (copy-source trio, source not SSE-C), E-C10 (SSE-C source
    /// without the trio), E-C15 (wrong source key, 403).
    public static func checkCopySource(
        copySourceKey: SSECustomerKeyHeaders?, sourceIsSSEC: Bool, keyMatches: (SSECustomerKeyHeaders) -> Bool
    ) throws(S3Error) {
        try compare(
            copySourceKey, storedIsSSEC: sourceIsSSEC, keyRequired: true, keyMatches: keyMatches,
            notApplicable: SSEErrors.copySourceNotCustomerKeyEncrypted, missing: SSEErrors.customerKeyRequired,
            mismatch: SSEErrors.wrongCopySourceCustomerKey)
    }

    /// A request on a multipart upload: E-C13 when the SSE-C presence differs from the upload's, E-C14 when the
    /// key differs from CreateMultipartUpload's.
    ///
    /// UploadPart and UploadPartCopy require the trio iff the upload is SSE-C. CompleteMultipartUpload and
    /// ListParts do not need it; when they send one it is checked like UploadPart (§7 emulator rule).
    public static func checkPart(
        customerKey: SSECustomerKeyHeaders?, uploadIsSSEC: Bool, operation: SSEOperation,
        keyMatches: (SSECustomerKeyHeaders) -> Bool
    ) throws(S3Error) {
        try compare(
            customerKey, storedIsSSEC: uploadIsSSEC, keyRequired: operation == .uploadPart || operation == .uploadPartCopy,
            keyMatches: keyMatches, notApplicable: SSEErrors.multipartEncryptionRequired,
            missing: SSEErrors.multipartEncryptionRequired, mismatch: SSEErrors.multipartEncryptionMismatch)
    }

    /// The shared decision: a key for a non-SSE-C object, no key for an SSE-C one (when required), a wrong key.
    private static func compare(
        _ key: SSECustomerKeyHeaders?, storedIsSSEC: Bool, keyRequired: Bool, keyMatches: (SSECustomerKeyHeaders) -> Bool,
        notApplicable: S3Error, missing: S3Error, mismatch: S3Error
    ) throws(S3Error) {
        switch (key, storedIsSSEC) {
        case (nil, false): return
        case (.some, false): throw notApplicable
        case (nil, true): if keyRequired { throw missing }
        case (.some(let key), true): if !keyMatches(key) { throw mismatch }
        }
    }
}
