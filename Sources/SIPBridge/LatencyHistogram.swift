import Histogram

/// Durations in microseconds in an HdrHistogram (two significant digits: 1 % precision from 1 µs to 60 s; values
/// beyond are counted at 60 s): cheap to record on the media hot path, mergeable across calls, about 20 kB each;
/// 64-bit counts, so a bridge's lifetime totals never wrap.
public struct LatencyHistogram: Sendable {
    /// The largest value told apart, µs (a minute).
    public static let highestUs: UInt64 = 60_000_000
    var recorded = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestUs, numberOfSignificantValueDigits: .two)

    public init() {}

    /// Records one duration; a negative one (a timer that fired before its instant) counts as 0.
    public mutating func record(us: Int) {
        _ = recorded.record(min(UInt64(max(0, us)), Self.highestUs))
    }

    /// Adds another histogram's counts to this one.
    public mutating func merge(_ other: LatencyHistogram) { recorded.add(other.recorded) }

    /// Values recorded.
    public var count: Int { Int(clamping: recorded.totalCount) }

    /// The largest value recorded, µs (0 when empty).
    public var maxUs: Int { count == 0 ? 0 : Int(clamping: recorded.maxRecorded) }

    /// The `p` quantile (0...1) in µs, within the histogram's precision; 0 when empty.
    public func percentile(_ p: Double) -> Int {
        guard count > 0 else { return 0 }
        return Int(clamping: recorded.valueAtPercentile(min(max(p, 0), 1) * 100))
    }
}
