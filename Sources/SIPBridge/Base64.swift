/// Standard base64 (RFC 4648 §4, padded) for the media hot path: 50 frames a second per call each way.
enum Base64 {
    static let invalid: UInt8 = 0xFF
    static let table: [UInt8] = {
        var t = [UInt8](repeating: invalid, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// The bytes of a padded base64 text; nil when it is not one.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var i = text.startIndex
        while i < text.endIndex {
            let c0 = table[Int(text[i])], c1 = table[Int(text[i + 1])]
            let p2 = text[i + 2] == 0x3D, p3 = text[i + 3] == 0x3D
            let c2 = p2 ? 0 : table[Int(text[i + 2])], c3 = p3 ? 0 : table[Int(text[i + 3])]
            // Padding only at the very end, and "x=y" is not allowed.
            guard c0 != invalid, c1 != invalid, c2 != invalid, c3 != invalid, !(p2 && !p3), (!p3 || i + 4 == text.endIndex) else { return nil }
            out.append(c0 << 2 | c1 >> 4)
            if !p2 { out.append(c1 << 4 | c2 >> 2) }
            if !p3 { out.append(c2 << 6 | c3) }
            i += 4
        }
        return out
    }
}
