/// A fixed-bucket histogram of durations in microseconds (cheap to record on the media hot path, mergeable across
/// calls): `buckets` buckets of `bucketUs` each, the last one holding everything beyond.
public struct Histogram: Sendable, Equatable {
    public let bucketUs: Int
    public private(set) var counts: [Int]
    public private(set) var count = 0
    public private(set) var maxUs = 0

    public init(bucketUs: Int, buckets: Int) {
        self.bucketUs = bucketUs
        counts = Array(repeating: 0, count: buckets + 1)
    }

    public mutating func record(us: Int) {
        let v = max(0, us)
        counts[min(v / bucketUs, counts.count - 1)] += 1
        count += 1
        maxUs = max(maxUs, v)
    }

    public mutating func merge(_ other: Histogram) {
        precondition(other.bucketUs == bucketUs && other.counts.count == counts.count, "histograms of different shapes")
        for i in counts.indices { counts[i] += other.counts[i] }
        count += other.count
        maxUs = max(maxUs, other.maxUs)
    }

    /// The upper edge of the bucket holding the `p` quantile (0...1), in µs; the maximum for the overflow bucket;
    /// 0 when empty.
    public func percentile(_ p: Double) -> Int {
        guard count > 0 else { return 0 }
        let rank = max(1, min(count, Int(exactly: (min(max(p, 0), 1) * Double(count)).rounded(.up)) ?? count))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return i == counts.count - 1 ? maxUs : min((i + 1) * bucketUs, maxUs) }
        }
        return maxUs
    }
}
