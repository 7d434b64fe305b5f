import AlloRestoCore
import Foundation
import Testing

/// The one conversion of outside numbers (ARCHITECTURE "Every number from outside"): finite, in range, then whole.
@Suite struct CheckedNumberTests {
    @Test func decimalTextReadsPlainNumbersOnly() {
        #expect(CheckedNumber.decimal(text: "12") == 12)
        #expect(CheckedNumber.decimal(text: " 9,50 ") == 9.5)
        #expect(CheckedNumber.decimal(text: "#3") == 3)
        #expect(CheckedNumber.decimal(text: "19 EUR") == 19)
        #expect(CheckedNumber.decimal(text: "12 €") == 12)
        #expect(CheckedNumber.decimal(text: "1e3") == 1000)
        #expect(CheckedNumber.decimal(text: "-0") == 0)
        for bad in ["inf", "Infinity", "-inf", "nan", "NaN", "0x10", "quatre", "neuf euros", "", "-", ".", "1e400", "1,2,3", "4 km", "e5"] {
            #expect(CheckedNumber.decimal(text: bad) == nil, "\(bad)")
        }
    }

    @Test func wholeChecksTheRangeBeforeConverting() {
        #expect(CheckedNumber.whole(1e300, in: 0...10) == nil)
        #expect(CheckedNumber.whole(-1e300, in: -10...10) == nil)
        #expect(CheckedNumber.whole(Double.nan, in: 0...10) == nil)
        #expect(CheckedNumber.whole(Double.infinity, in: 0...Int.max) == nil)
        #expect(CheckedNumber.whole(9_223_372_036_854_775_807.0, in: 0...Int.max) == nil)  // 2^63 as a Double
        #expect(CheckedNumber.whole(2.5, in: 0...10) == nil)
        #expect(CheckedNumber.whole(-0.0, in: 0...10) == 0)
        #expect(CheckedNumber.whole(7.0, in: 0...10) == 7)
        #expect(CheckedNumber.whole(.int(Int.max), in: 0...1000) == nil)
        #expect(CheckedNumber.whole(.int(Int.min), in: Int.min...0) == Int.min)
        #expect(CheckedNumber.whole(.string("inf"), in: 0...10) == nil)
    }

    @Test func minorUnitsAreBounded() {
        #expect(CheckedNumber.minorUnits(19.99, digits: 2, in: 0...100_000) == 1999)
        #expect(CheckedNumber.minorUnits(1e300, digits: 2, in: 0...Int.max) == nil)
        #expect(CheckedNumber.minorUnits(-1, digits: 2, in: 0...100) == nil)
        #expect(Money.minor(fromDecimal: 1e300) == nil)
        #expect(Money.minor(fromDecimal: .nan) == nil)
        #expect(Money.minor(fromDecimal: 12.5) == 1250)
    }

    @Test func clampedIsTotal() {
        #expect(CheckedNumber.clamped(Double.nan, to: 0...10) == 0)
        #expect(CheckedNumber.clamped(1e300, to: 0...10) == 10)
        #expect(CheckedNumber.clamped(-Double.infinity, to: -5...10) == -5)
        #expect(CheckedNumber.clamped(3.7, rounding: .up, to: 0...10) == 4)
    }

    @Test func planningHelpersAreTotal() {
        let config = PlanningConfig(avgPrepTimeMin: 15)
        for km in [-1e300, 1e300, Double.nan, -Double.infinity, 0] { #expect(config.travelMinutes(roadKm: km) >= config.slotMin) }
    }

    @Test func controlCharactersAreRemoved() {
        #expect(CleanText.clean("a\u{0}b\u{7}c\u{1B}d\u{85}e\u{2028}f") == "abcdef")
        #expect(CleanText.clean("ligne 1\r\nligne 2\rligne 3\tfin", multiline: true) == "ligne 1\nligne 2\nligne 3\tfin")
        #expect(CleanText.clean("a\nb\tc") == "ab c")
    }

    /// The grep-able rule: outside `CheckedNumber.swift`, no `Int(…)`/`Int64(…)` of a floating value (a trap on
    /// NaN, infinity or out-of-range input). Floating conversions go through `CheckedNumber` or `Int(exactly:)`.
    @Test func noUncheckedFloatingToIntegerConversionInSources() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(pattern: #"\b(U?Int(8|16|32|64)?)\((?!exactly:|clamping:|truncatingIfNeeded:|bitPattern:)(?:[^()]|\([^()]*\))*(\.rounded|timeInterval|Double\(|\* |/ |pow\()"#)
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        for file in files where file.lastPathComponent != "CheckedNumber.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let l = String(line)
                if pattern.firstMatch(in: l, range: NSRange(l.startIndex..., in: l)) != nil { offenders.append("\(file.lastPathComponent):\(n + 1): \(l.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }
}
