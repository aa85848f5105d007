/// Reads the KMS key id out of a wrapped data key without decrypting anything, for display (`s3emu cse inspect`,
/// the server's inspection API). KMS blobs are opaque by contract; this knows two layouts:
///
/// ```
/// this emulator's key module (version 1): 0x01 ‖ u8 L ‖ key id (L ASCII bytes) ‖ …
/// moto and LocalStack:                    key id (36 ASCII bytes, a UUID) ‖ …
/// ```
/// Anything else gives `nil`: the key id is then only known to KMS.
public enum KMSBlobKeyHint {
    public static func keyId(in blob: [UInt8]) -> String? {
        if blob.count > 2, blob[0] == 1 {
            let length = Int(blob[1])
            if length > 0, blob.count >= 2 + length + 4 + 12 + 16 {
                let id = blob[2..<2 + length]
                if id.allSatisfy(isKeyIdByte) { return String(decoding: id, as: UTF8.self) }
            }
        }
        if blob.count > 36 {
            let prefix = blob.prefix(36)
            if isUUID(prefix) { return String(decoding: prefix, as: UTF8.self) }
        }
        return nil
    }

    private static func isKeyIdByte(_ b: UInt8) -> Bool {
        b == 0x2D || (0x30...0x39).contains(b) || (0x61...0x7A).contains(b | 0x20)
    }

    private static func isUUID(_ bytes: ArraySlice<UInt8>) -> Bool {
        for (offset, b) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard b == 0x2D else { return false }
            } else {
                guard (0x30...0x39).contains(b) || (0x61...0x66).contains(b | 0x20) else { return false }
            }
        }
        return true
    }
}
