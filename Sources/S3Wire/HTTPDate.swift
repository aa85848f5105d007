/// Date formats on the S3 wire, by pure arithmetic on seconds since 1970 (no locale, no formatter state).
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Days since 1970-01-01 of a civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func split(_ seconds: Int64) -> (Int, Int, Int, Int, Int, Int, Int) {
        let s = Int(seconds)
        let dayCount = s >= 0 ? s / 86400 : (s - 86399) / 86400
        let rem = s - dayCount * 86400
        let (y, m, d) = civil(fromDays: dayCount)
        let weekday = ((dayCount % 7) + 11) % 7  // 1970-01-01 was a Thursday
        return (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, weekday)
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT` (RFC 7231 IMF-fixdate).
    public static func rfc1123(_ seconds: Int64) -> String {
        let (y, m, d, hh, mm, ss, wd) = split(seconds)
        return "\(days[wd]), \(pad(d, 2)) \(months[m - 1]) \(y) \(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)) GMT"
    }

    /// `2009-10-12T17:50:30.000Z`, as S3 XML bodies show times.
    public static func iso8601(milliseconds ms: Int64) -> String {
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let (y, m, d, hh, mm, ss, _) = split(secs)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(Int(ms - secs * 1000), 3))Z"
    }

    /// `20091012T175030Z`, the SigV4 timestamp.
    public static func amzTimestamp(_ seconds: Int64) -> String {
        let (y, m, d, hh, mm, ss, _) = split(seconds)
        return "\(pad(y, 4))\(pad(m, 2))\(pad(d, 2))T\(pad(hh, 2))\(pad(mm, 2))\(pad(ss, 2))Z"
    }

    /// Parses `20091012T175030Z`.
    public static func parseAmzTimestamp(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11), let mi = num(11..<13),
            let se = num(13..<15), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        return Int64(days(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + se)
    }

    /// Parses an HTTP date: IMF-fixdate, RFC 850 and asctime forms, and ISO 8601 (`2009-10-12T17:50:30Z` or with millis).
    public static func parse(_ text: String) -> Int64? {
        let s = text.trimmingASCIIWhitespace()
        if let iso = parseISO8601(String(s)) { return iso }
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        // IMF: [Wed, 12, Oct, 2009, 17:50:00, GMT]; RFC 850: [Wednesday, 12, Oct, 09, 17:50:00, GMT];
        // asctime: [Wed, Oct, 12, 17:50:00, 2009]
        var day: Int?, month: Int?, year: Int?, time: String?
        if parts.count >= 5, let mi = months.firstIndex(of: parts[1]) {
            month = mi + 1
            day = Int(parts[2])
            time = parts[3]
            year = Int(parts[4])
        } else if parts.count >= 5, let mi = months.firstIndex(of: parts[2]) {
            day = Int(parts[1])
            month = mi + 1
            year = Int(parts[3])
            time = parts[4]
            if let y = year, y < 100 { year = y + (y < 70 ? 2000 : 1900) }
        }
        guard let d = day, let m = month, let y = year, let t = time else { return nil }
        let hms = t.splitASCII(UInt8(ascii: ":")).compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(d), hms[0] < 24, hms[1] < 60, hms[2] < 61 else { return nil }
        return Int64(days(year: y, month: m, day: d)) * 86400 + Int64(hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` to whole seconds.
    public static func parseISO8601(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count >= 20, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T"),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"), u.last == UInt8(ascii: "Z")
        else { return nil }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16),
            let se = num(17..<19), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        if u.count > 20 {
            guard u[19] == UInt8(ascii: "."), u.count > 21, u[20..<(u.count - 1)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        }
        return Int64(days(year: y, month: mo, day: d)) * 86400 + Int64(h * 3600 + mi * 60 + se)
    }
}
