import Foundation

/// What `GET /api/metrics` reports since the bridge started: calls, media frames, how late RTP was sent against
/// its 20 ms schedule, and how long call set-up took (INVITE received → call event queued, → 200 OK sent).
public struct BridgeMetrics: Sendable, Codable {
    public struct Quantiles: Sendable, Codable {
        public var count: Int
        public var p50: Int
        public var p99: Int
        public var max: Int

        init(_ h: LatencyHistogram, divisor: Int = 1) {
            count = h.count
            p50 = h.percentile(0.5) / divisor
            p99 = h.percentile(0.99) / divisor
            max = h.maxUs / divisor
        }
    }

    public var activeCalls: Int
    public var answeredCalls: Int
    public var endedCalls: Int
    /// RTP audio packets from callers, frames handed to workers, frames of worker audio sent, silence frames
    /// sent, frames skipped by a pacer too far behind.
    public var framesReceived: Int
    public var framesForwarded: Int
    public var framesSent: Int
    public var silenceFrames: Int
    public var framesSkipped: Int
    public var sendLateUs: Quantiles
    public var inviteToQueuedMs: Quantiles
    public var inviteToAnswerMs: Quantiles
}

/// Running totals kept by the bridge; live calls are added when asked.
struct MetricTotals {
    var answered = 0
    var ended = 0
    var received = 0
    var forwarded = 0
    var sent = 0
    var silence = 0
    var skipped = 0
    var sendLateness = LatencyHistogram()
    /// Set-up times, µs.
    var inviteToQueued = LatencyHistogram()
    var inviteToAnswer = LatencyHistogram()

    mutating func add(_ s: MediaSession.Stats) {
        received += s.received
        forwarded += s.forwarded
        sent += s.sent
        silence += s.silence
        skipped += s.skipped
        sendLateness.merge(s.sendLateness)
    }

    func report(active: Int) -> BridgeMetrics {
        BridgeMetrics(
            activeCalls: active, answeredCalls: answered, endedCalls: ended, framesReceived: received, framesForwarded: forwarded,
            framesSent: sent, silenceFrames: silence, framesSkipped: skipped, sendLateUs: .init(sendLateness),
            inviteToQueuedMs: .init(inviteToQueued, divisor: 1000), inviteToAnswerMs: .init(inviteToAnswer, divisor: 1000))
    }
}

extension Duration {
    var microseconds: Int { Int(components.seconds) * 1_000_000 + Int(truncatingIfNeeded: components.attoseconds / 1_000_000_000_000) }
}
