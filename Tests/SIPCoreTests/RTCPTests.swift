import SIPCore
import Testing

/// RTCP packets and the reception statistics of their report blocks (RFC 3550 §6.4, Appendix A.3 and A.8).
@Suite struct RTCPTests {
    /// SR with a report block (negative cumulative loss included), SDES CNAME and BYE in one compound, read back;
    /// garbage and lengths past the end give nothing.
    @Test func compoundPacketsRoundTrip() {
        let block = RTCPReportBlock(ssrc: 0xBEEF, fractionLost: 51, cumulativeLost: -2, highestSequence: 0x1_0005, jitter: 10, lastSR: 0x1234_5678,
                                    delaySinceLastSR: 65536)
        let packets: [RTCPPacket] = [
            .senderReport(ssrc: 7, ntp: 0xE000_0001_8000_0000, rtpTimestamp: 160, packets: 3, octets: 480, blocks: [block]),
            .sourceDescription(ssrc: 7, cname: "alloresto@CA1"),
            .bye(ssrcs: [7]),
        ]
        let bytes = packets.flatMap { $0.serialized() }
        #expect(bytes.count % 4 == 0 && RTCPPacket.parseCompound(bytes) == packets)
        #expect(RTCPPacket.parseCompound(RTCPPacket.receiverReport(ssrc: 9, blocks: [block]).serialized()) == [.receiverReport(ssrc: 9, blocks: [block])])
        #expect(RTCPPacket.parseCompound([0x80, 200, 0, 40, 1, 2]).isEmpty)
        #expect(RTCPPacket.parseCompound([0x00, 200, 0, 0]).isEmpty)
    }

    /// One packet missing out of five: 1 lost, fraction 51/256; the interval counters restart after a report;
    /// sequence numbers wrapping past 65535 extend the highest number.
    @Test func lossAndWrapAround() throws {
        var stats = RTPReceptionStats()
        for seq: UInt16 in [1, 2, 3, 5] { stats.record(sequence: seq, timestamp: UInt32(seq) * 160, ssrc: 42, arrival: UInt32(seq) * 160) }
        let first = stats.reportBlock()
        let block = try #require(first)
        #expect(block.ssrc == 42 && block.cumulativeLost == 1 && block.fractionLost == 51 && block.highestSequence == 5)
        stats.record(sequence: 6, timestamp: 960, ssrc: 42, arrival: 960)
        let second = stats.reportBlock()
        #expect(second?.fractionLost == 0)

        var wrap = RTPReceptionStats()
        for seq: UInt16 in [65534, 65535, 0, 1] { wrap.record(sequence: seq, timestamp: 0, ssrc: 1, arrival: 0) }
        #expect(wrap.highestSequence == 65536 + 1 && wrap.cumulativeLost == 0)
        wrap.record(sequence: 100, timestamp: 0, ssrc: 2, arrival: 0)
        #expect(wrap.ssrc == 2 && wrap.received == 1, "a new source starts over")
    }

    /// A.8: J += (|D| − J)/16 — one packet 160 units late after steady ones gives a jitter of 10.
    @Test func interarrivalJitter() {
        var stats = RTPReceptionStats()
        stats.record(sequence: 1, timestamp: 0, ssrc: 1, arrival: 1000)
        stats.record(sequence: 2, timestamp: 160, ssrc: 1, arrival: 1160)
        #expect(stats.jitter == 0)
        stats.record(sequence: 3, timestamp: 320, ssrc: 1, arrival: 1480)
        #expect(stats.jitter == 10)
    }
}
