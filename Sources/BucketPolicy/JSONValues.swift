import Foundation

/// Reading values out of `JSONSerialization` output.
enum JSONValues {
    /// A string, or an array of strings; nil for any other JSON type.
    static func strings(_ value: Any) -> [String]? {
        if let text = value as? String { return [text] }
        guard let items = value as? [Any] else { return nil }
        var out: [String] = []
        for item in items {
            guard let text = item as? String else { return nil }
            out.append(text)
        }
        return out
    }

    /// A condition value: a string, number or boolean, or an array of them, as strings; nil otherwise.
    static func scalars(_ value: Any) -> [String]? {
        if let text = scalar(value) { return [text] }
        guard let items = value as? [Any] else { return nil }
        var out: [String] = []
        for item in items {
            guard let text = scalar(item) else { return nil }
            out.append(text)
        }
        return out
    }

    /// A string, number or boolean as a string (`true`, `false`, `12`, `1.5`); nil otherwise.
    static func scalar(_ value: Any) -> String? {
        if let text = value as? String { return text }
        guard let number = value as? NSNumber else { return nil }
        if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
        return number.stringValue
    }
}
