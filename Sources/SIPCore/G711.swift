import Foundation

/// G.711 µ-law and A-law (ITU-T G.711), as lookup tables.
public enum G711 {
    public static func ulawToLinear(_ u: UInt8) -> Int16 {
        let v = ~u
        let sign = v & 0x80
        let exponent = Int((v >> 4) & 0x07)
        let mantissa = Int(v & 0x0F)
        var sample = ((mantissa << 3) + 0x84) << exponent
        sample -= 0x84
        return Int16(sign != 0 ? -sample : sample)
    }

    public static func linearToUlaw(_ pcm: Int16) -> UInt8 {
        let bias = 0x84, clip = 32635
        var sample = Int(pcm)
        let sign = sample < 0 ? 0x80 : 0
        if sign != 0 { sample = -sample }
        if sample > clip { sample = clip }
        sample += bias
        var exponent = 7
        var mask = 0x4000
        while exponent > 0 && sample & mask == 0 { exponent -= 1; mask >>= 1 }
        let mantissa = (sample >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | (exponent << 4) | mantissa)
    }

    public static func alawToLinear(_ a: UInt8) -> Int16 {
        let v = a ^ 0x55
        let sign = v & 0x80
        let exponent = Int((v >> 4) & 0x07)
        let mantissa = Int(v & 0x0F)
        var sample = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1)
        if sign == 0 { sample = -sample }
        return Int16(sample)
    }

    public static func linearToAlaw(_ pcm: Int16) -> UInt8 {
        var sample = Int(pcm)
        let sign = sample >= 0 ? 0x80 : 0
        if sign == 0 { sample = -sample - 1 }
        if sample > 32767 { sample = 32767 }
        var exponent = 7
        var mask = 0x4000
        while exponent > 0 && sample & mask == 0 { exponent -= 1; mask >>= 1 }
        let mantissa = exponent == 0 ? (sample >> 4) & 0x0F : (sample >> (exponent + 3)) & 0x0F
        return UInt8(sign | (exponent << 4) | mantissa) ^ 0x55
    }

    /// A µ-law → µ-law table applying a gain in dB (clipped at full scale), for `--rx-gain`/`--tx-gain`; nil for
    /// 0 dB (the audio is then left bit-exact) or a gain that is not a finite number within ±40 dB.
    public static func ulawGainTable(dB: Double) -> [UInt8]? {
        guard dB.isFinite, dB != 0, (-40...40).contains(dB) else { return nil }
        let factor = pow(10, dB / 20)
        return (0...255).map { u in
            let scaled = (Double(ulawToLinear(UInt8(u))) * factor).rounded()
            return linearToUlaw(Int16(max(-32768, min(32767, scaled))))
        }
    }

    /// Direct transcoding tables (computed once).
    public static let ulawToAlawTable: [UInt8] = (0...255).map { linearToAlaw(ulawToLinear(UInt8($0))) }
    public static let alawToUlawTable: [UInt8] = (0...255).map { linearToUlaw(alawToLinear(UInt8($0))) }

    public static func ulawToAlaw(_ bytes: [UInt8]) -> [UInt8] { bytes.map { ulawToAlawTable[Int($0)] } }
    public static func alawToUlaw(_ bytes: [UInt8]) -> [UInt8] { bytes.map { alawToUlawTable[Int($0)] } }
}
