import Foundation

/// Standard base64 with strict decoding (padding required, no stray characters).
public enum Base64 {
    public static func encode<B: Collection>(_ bytes: B) -> String where B.Element == UInt8 {
        Data(bytes).base64EncodedString()
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0, let d = Data(base64Encoded: text) else { return nil }
        return Array(d)
    }
}
