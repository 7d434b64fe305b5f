import DequeModule
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPCore
import WireFormats

/// Gains on a call's audio as µ-law → µ-law tables (nil: 0 dB, the audio untouched): `rx` on what the caller
/// sends before the worker gets it, `tx` on what the worker sends before the caller hears it.
struct MediaGains: Sendable {
    var rx: [UInt8]?
    var tx: [UInt8]?
}

/// The media of one call: RTP in (jitter buffer, DTMF) → Twilio Media Streams JSON to the worker; worker audio →
/// paced 20 ms RTP out, marks echoed once played. All mutable state is behind one lock; the pacer runs on the
/// RTP channel's event loop.
public final class MediaSession: Sendable {
    public struct Stats: Sendable {
        public var received = 0
        public var forwarded = 0
        public var sent = 0
        public var silence = 0
        public var dtmf: [String] = []
        /// Frames not sent because the pacer fell more than `maxCatchUp` frames behind (lost to the caller).
        public var skipped = 0
        /// Caller frames (or keys) dropped because no worker came within 10 s of them.
        public var earlyDropped = 0
        /// How late each send was against its ideal instant (start + n × 20 ms), µs.
        public var sendLateness = LatencyHistogram()
        /// RTCP compound packets sent (SR + SDES, then BYE) and received from the far end (RFC 3550 §6).
        public var rtcpSent = 0
        public var rtcpReceived = 0
    }

    /// A pacer this many frames behind sends them at once (the caller's jitter buffer absorbs it); further behind,
    /// the missed frames are skipped (counted) and the schedule starts again from the instant being served.
    static let maxCatchUp = 5

    struct State {
        var jitter = JitterBuffer(depth: 3)
        var outbound: [UInt8] = []
        var outboundOffset = 0
        /// Marks waiting for the audio queued before them to be played: (bytes still to play, name).
        var marks = Deque<(at: Int, name: String)>()
        var played = 0
        var worker: AsyncStream<String>.Continuation?
        var seq: UInt16 = UInt16.random(in: 0...UInt16.max)
        var ts: UInt32 = UInt32.random(in: 0...UInt32.max)
        var remote: SocketAddress?
        var lastDTMF: UInt32?
        var stats = Stats()
        var chunk = 0
        var sequence = 0
        var started = false
        /// The next frame's ideal send instant (set by the media clock when pacing starts).
        var deadline: NIODeadline?
        var closed = false
        /// What the caller sent before the worker attached.
        var early = Deque<MediaSession.Early>()
        /// Caller audio not yet a whole 20 ms frame (packets of 10, 30, 40, 60 ms are re-framed to 20 ms).
        var partial: [UInt8] = []
        /// False while the far end holds the call (our direction recvonly/inactive): nothing is sent.
        var sending = true
        /// Bytes (8 kHz samples) per RTP packet we send: 160 (20 ms), or 80 (10 ms) for a far end whose
        /// `maxptime`/`ptime` is under 20 ms (RFC 4566 §6).
        var packetBytes = 160
        /// The payload types in use (a re-INVITE or UPDATE may change them).
        var audioPT: UInt8
        var isPCMA: Bool
        var dtmfPT: UInt8?
        /// The RTP timeout: when the far end last sent, whether it should be sending (not on hold towards us), the
        /// limit and who to tell (once).
        var lastHeard: NIODeadline?
        var hearing = true
        var silenceLimit: TimeAmount?
        var onSilence: (@Sendable () -> Void)?
        /// RTCP (RFC 3550 §6): what we received from the far end's source, what we sent, the far end's last SR
        /// (middle 32 bits of its NTP time and when it came), when our next report is due.
        var reception = RTPReceptionStats()
        var packetsSent: UInt32 = 0
        var octetsSent: UInt32 = 0
        var lastSR: (ntpMiddle: UInt32, at: NIODeadline)?
        var nextReport: NIODeadline?
        var onWorkerGone: (@Sendable () -> Void)?
        /// A bridged transfer: what this side hears goes to `relay` as it arrives, and this side sends only what
        /// its partner relays (`relayed`: the pacer stops making frames), each source's sequence and timestamp
        /// moved by a fixed offset so gaps and order survive (`relaySource`).
        var relay: MediaSession?
        var relayed = false
        var relaySource: (ssrc: UInt32, seqOffset: UInt16, tsOffset: UInt32)?
    }

    public let callId: String
    public let streamSid: String
    let channel: any Channel
    /// The RTCP socket, on the RTP port + 1 (nil if that port was taken every time we tried).
    let rtcpChannel: (any Channel)?
    let rtcpInterval: TimeAmount
    let gains: MediaGains
    /// When the session opened: the arrival clock of the jitter estimate (8 kHz units from here).
    let opened = NIODeadline.now()
    let ssrc = UInt32.random(in: 1...UInt32.max)
    let symmetric: Bool
    let clock: MediaClock
    let state: NIOLockedValueBox<State>
    let logger: Logger

    public var port: Int { channel.localAddress?.port ?? 0 }

    init(callId: String, channel: any Channel, rtcpChannel: (any Channel)?, rtcpInterval: TimeAmount, gains: MediaGains = MediaGains(),
         remote: SocketAddress?, audioPT: UInt8, isPCMA: Bool, dtmfPT: UInt8?, symmetric: Bool, clock: MediaClock, logger: Logger) {
        self.gains = gains
        self.rtcpChannel = rtcpChannel
        self.rtcpInterval = rtcpInterval
        self.clock = clock
        self.callId = callId
        self.streamSid = "MZ" + callId.filter { $0.isLetter || $0.isNumber }.prefix(30)
        self.channel = channel
        self.symmetric = symmetric
        self.logger = logger
        var s = State(audioPT: audioPT, isPCMA: isPCMA, dtmfPT: dtmfPT)
        s.remote = remote
        state = NIOLockedValueBox(s)
    }

    /// Opens the RTP socket on an even ephemeral port of `host` and RTCP on the next one (RFC 3550 §11); after a
    /// few tries without a free pair, RTP alone.
    static func open(callId: String, host: String, remote: SocketAddress?, audioPT: UInt8, isPCMA: Bool, dtmfPT: UInt8?, symmetric: Bool,
                     rtcpInterval: Duration = .seconds(5), gains: MediaGains = MediaGains(), group: any EventLoopGroup, clocks: MediaClocks,
                     logger: Logger) async throws -> MediaSession {
        let box = NIOLockedValueBox<MediaSession?>(nil)
        func bind(_ port: Int, rtcp: Bool) async throws -> any Channel {
            try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(rtcp ? RTCPInbound(session: box) as any ChannelHandler : RTPInbound(session: box))
                    }
                }
                .bind(host: host, port: port).get()
        }
        var channel = try await bind(0, rtcp: false)
        var rtcpChannel: (any Channel)?
        for _ in 0..<8 {
            if let port = channel.localAddress?.port, port % 2 == 0, port < 65535, let rtcp = try? await bind(port + 1, rtcp: true) {
                rtcpChannel = rtcp
                break
            }
            try? await channel.close()
            channel = try await bind(0, rtcp: false)
        }
        let interval = TimeAmount(rtcpInterval)  // NIO's conversion clamps instead of overflowing
        let session = MediaSession(callId: callId, channel: channel, rtcpChannel: rtcpChannel, rtcpInterval: interval, gains: gains, remote: remote, audioPT: audioPT,
                                   isPCMA: isPCMA, dtmfPT: dtmfPT, symmetric: symmetric, clock: clocks.clock(for: channel.eventLoop), logger: logger)
        box.withLockedValue { $0 = session }
        return session
    }

    /// Where RTP goes, once known (an outbound call learns it from the callee's answer).
    func setRemote(_ address: SocketAddress) {
        state.withLockedValue { $0.remote = address }
    }

    /// The far end moved its media or put the call on hold (a re-INVITE): RTP goes to `address` from now on, and
    /// is sent only when our direction allows it (the pacing clock keeps running, so resuming is seamless).
    /// `hearing`: whether the far end should now be sending to us (the RTP timeout is watched only then).
    func update(remote address: SocketAddress?, sending: Bool, hearing: Bool = true) {
        state.withLockedValue { s in
            if let address { s.remote = address }
            s.sending = sending
            if hearing, !s.hearing { s.lastHeard = .now() }
            s.hearing = hearing
        }
    }

    /// The far end's packet time preferences (RFC 4566 §6): `maxptime` is a limit, `ptime` a wish; we send 20 ms
    /// packets unless either is under 20 ms, then 10 ms ones.
    func setPacketTime(ptime: Int?, maxptime: Int?) {
        let limit = min(ptime ?? 20, maxptime ?? 20)
        state.withLockedValue { $0.packetBytes = limit < 20 ? 80 : 160 }
    }

    /// The codec and telephone-event payload types agreed by a new offer/answer.
    func setCodec(audioPT: UInt8, isPCMA: Bool, dtmfPT: UInt8?) {
        state.withLockedValue { s in
            s.audioPT = audioPT
            s.isPCMA = isPCMA
            s.dtmfPT = dtmfPT
        }
    }

    /// Calls `onSilence` once when no RTP came for `limit` while the far end should be sending (checked on the
    /// pacing clock, from the first paced frame).
    func watchSilence(_ limit: Duration, onSilence: @escaping @Sendable () -> Void) {
        state.withLockedValue { s in
            s.silenceLimit = TimeAmount(limit)
            s.onSilence = onSilence
        }
    }

    /// A key pressed, known from signalling (SIP INFO `application/dtmf-relay`) rather than RTP.
    func digit(_ digit: String) {
        let (event, worker): (String?, AsyncStream<String>.Continuation?) = state.withLockedValue { s in
            s.stats.dtmf.append(digit)
            if s.worker != nil, s.started { return (dtmfEvent(&s, digit: digit), s.worker) }
            if !s.closed { keepEarly(&s, .digit(digit)) }
            return (nil, nil)
        }
        if let event { worker?.yield(event) }
    }

    /// Starts the 20 ms pacing (silence when the worker has nothing to say, so timing and NAT bindings hold): one
    /// frame at each ideal instant (first + n × 20 ms), sent by the media loop's shared clock (`MediaClock`), each
    /// send scheduled for its absolute instant, so the time a send takes never accumulates as drift.
    func startPacing() { clock.add(self) }

    /// The clock gave this call its first instant.
    func startSchedule(at instant: NIODeadline) {
        state.withLockedValue { s in if s.deadline == nil { s.deadline = instant } }
    }

    /// Sends the frames due: this instant's, plus any whose instant passed unsent (up to `maxCatchUp`). `slot` is
    /// the clock instant being served.
    func tick(slot: NIODeadline) {
        let now = NIODeadline.now()
        var packets: [[UInt8]] = []
        var marks: [String] = []
        var silent: (@Sendable () -> Void)?
        var report: ([UInt8], SocketAddress)?
        defer {
            silent?()
            if let (bytes, to) = report { sendRTCP(bytes, to: to) }
        }
        let (remote, worker): (SocketAddress?, AsyncStream<String>.Continuation?) = state.withLockedValue { s in
            guard !s.closed, let deadline = s.deadline else { return (nil, nil) }
            let lateUs = Int(truncatingIfNeeded: (now - deadline).nanoseconds / 1000)
            s.stats.sendLateness.record(us: lateUs)
            // Frames due by now: this one, plus any whose instant has passed too.
            var due = 1 + max(0, lateUs) / 20_000
            if due > Self.maxCatchUp {
                s.stats.skipped += due - 1
                s.deadline = slot
                due = 1
            }
            s.deadline = s.deadline! + .milliseconds(Int64(truncatingIfNeeded: 20 * due))
            if let limit = s.silenceLimit, s.hearing {
                let heard = s.lastHeard ?? now
                if s.lastHeard == nil { s.lastHeard = now }
                if now - heard > limit, let report = s.onSilence {
                    s.onSilence = nil
                    silent = report
                }
            }
            guard let remote = s.remote, s.sending else { return (nil, nil) }
            for _ in 0..<(s.relayed ? 0 : due) {
                var frame: [UInt8]
                let available = s.outbound.count - s.outboundOffset
                if available > 0 {
                    let n = min(160, available)
                    frame = Array(s.outbound[s.outboundOffset..<(s.outboundOffset + n)])
                    if n < 160 { frame += Array(repeating: 0xFF, count: 160 - n) }
                    s.outboundOffset += n
                    s.played += n
                    if s.outboundOffset > 64_000 { s.outbound.removeFirst(s.outboundOffset); s.outboundOffset = 0 }
                    s.stats.sent += 1
                } else {
                    frame = Array(repeating: 0xFF, count: 160)
                    s.stats.silence += 1
                }
                while let m = s.marks.first, m.at <= s.played { marks.append(m.name); s.marks.removeFirst() }
                if let table = gains.tx { frame = frame.map { table[Int($0)] } }
                let payload = s.isPCMA ? G711.ulawToAlaw(frame) : frame
                // 20 ms per packet, or two 10 ms packets when the far end's maxptime (or ptime) asks for less.
                let size = s.packetBytes
                var offset = 0
                while offset < payload.count {
                    let part = Array(payload[offset..<min(offset + size, payload.count)])
                    packets.append(RTPPacket(payloadType: s.audioPT, sequence: s.seq, timestamp: s.ts, ssrc: ssrc, payload: part).serialized())
                    s.seq &+= 1
                    s.ts &+= UInt32(truncatingIfNeeded: part.count)
                    s.packetsSent &+= 1
                    s.octetsSent &+= UInt32(truncatingIfNeeded: part.count)
                    offset += size
                }
            }
            if rtcpChannel != nil {
                let due = s.nextReport ?? now + rtcpInterval
                if s.nextReport == nil { s.nextReport = due }
                if now >= due {
                    s.nextReport = now + rtcpInterval
                    s.stats.rtcpSent += 1
                    report = (senderReport(&s, now: now), remote)
                }
            }
            return (remote, s.worker)
        }
        if let remote {
            for packet in packets {
                var buffer = channel.allocator.buffer(capacity: packet.count)
                buffer.writeBytes(packet)
                channel.write(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
            channel.flush()
        }
        for name in marks { worker?.yield(event("mark", ["mark": ["name": .string(name)]])) }
    }

    /// An RTP datagram from the caller.
    func received(_ bytes: [UInt8], from address: SocketAddress) {
        guard let packet = RTPPacket.parse(bytes) else { return }
        var events: [String] = []
        var relayed: (partner: MediaSession, dtmf: Bool, pcma: Bool)?
        let worker: AsyncStream<String>.Continuation? = state.withLockedValue { s in
            if symmetric { s.remote = address }
            s.stats.received += 1
            if s.silenceLimit != nil { s.lastHeard = .now() }
            if let partner = s.relay {
                let isDTMF = s.dtmfPT == packet.payloadType
                guard isDTMF || packet.payloadType == s.audioPT else { return nil }
                if !isDTMF {
                    let arrival = UInt32(truncatingIfNeeded: (NIODeadline.now() - opened).nanoseconds / 125_000)
                    s.reception.record(sequence: packet.sequence, timestamp: packet.timestamp, ssrc: packet.ssrc, arrival: arrival)
                }
                relayed = (partner, isDTMF, s.isPCMA)
                return nil
            }
            if let dtmfPT = s.dtmfPT, packet.payloadType == dtmfPT {
                if let e = DTMFEvent.parse(packet.payload), e.end, s.lastDTMF != packet.timestamp {
                    s.lastDTMF = packet.timestamp
                    s.stats.dtmf.append(e.digit)
                    if s.worker != nil, s.started { events.append(dtmfEvent(&s, digit: e.digit)) } else if !s.closed { keepEarly(&s, .digit(e.digit)) }
                }
            }
            // Telephone events and comfort noise (13, or a dynamic CN type) share the stream's sequence numbers
            // (RFC 4733 §2.1, RFC 3389): they go through the jitter buffer without audio, so it never waits for
            // them as lost packets. Anything not agreed is ignored.
            let isAudio = packet.payloadType == s.audioPT
            if isAudio {
                let arrival = UInt32(truncatingIfNeeded: (NIODeadline.now() - opened).nanoseconds / 125_000)
                s.reception.record(sequence: packet.sequence, timestamp: packet.timestamp, ssrc: packet.ssrc, arrival: arrival)
            }
            let held = isAudio ? packet : RTPPacket(payloadType: packet.payloadType, sequence: packet.sequence, timestamp: packet.timestamp, ssrc: packet.ssrc, payload: [])
            for ready in s.jitter.push(held) where ready.payloadType == s.audioPT && !ready.payload.isEmpty {
                // Whatever the caller's packet duration, the worker gets 20 ms frames, so `media.timestamp`
                // (20 ms per chunk) follows the audio clock.
                let heard = s.isPCMA ? G711.alawToUlaw(ready.payload) : ready.payload
                s.partial += gains.rx.map { table in heard.map { table[Int($0)] } } ?? heard
                while s.partial.count >= 160 {
                    let ulaw = Array(s.partial.prefix(160))
                    s.partial.removeFirst(160)
                    guard s.worker != nil, s.started else {
                        if !s.closed { keepEarly(&s, .audio(ulaw)) }
                        continue
                    }
                    events.append(mediaEvent(&s, ulaw: ulaw))
                }
            }
            return s.worker
        }
        for e in events { worker?.yield(e) }
        // Outside this session's lock: the partner takes its own (two locks never held at once).
        if let relayed { relayed.partner.forward(packet, dtmf: relayed.dtmf, fromPCMA: relayed.pcma) }
    }

    /// Joins this session to `partner` for a bridged transfer, both ways: each hears the other, packet by packet,
    /// bit-exact when both use the same codec (no gain, no re-framing; A-law ⇄ µ-law converted when they differ).
    /// The worker, if one is on this session, gets `stop` and is let go; the call itself goes on.
    func join(_ partner: MediaSession) {
        let worker: AsyncStream<String>.Continuation? = state.withLockedValue { s in
            s.relay = partner
            s.relayed = true
            s.outbound.removeAll()
            s.outboundOffset = 0
            s.marks.removeAll()
            s.early.removeAll()
            return Self.takeWorker(&s)
        }
        if let worker { stop(worker) }
    }

    /// The worker's stream, let go (no `onWorkerGone`: the session ends it, not the worker).
    static func takeWorker(_ s: inout State) -> AsyncStream<String>.Continuation? {
        let w = s.worker
        s.worker = nil
        s.onWorkerGone = nil
        return w
    }

    /// `stop` to a worker, then its stream ends (the socket closes).
    func stop(_ worker: AsyncStream<String>.Continuation) {
        worker.yield(event("stop", ["stop": ["accountSid": "AlloResto", "callSid": .string(callId)]]))
        worker.finish()
    }

    /// A packet its partner heard, sent on at once in this session's payload types, SSRC and numbering.
    func forward(_ packet: RTPPacket, dtmf: Bool, fromPCMA: Bool) {
        let out: ([UInt8], SocketAddress)? = state.withLockedValue { s in
            guard !s.closed, s.relayed, s.sending, let remote = s.remote else { return nil }
            var payload = packet.payload
            let payloadType: UInt8
            if dtmf {
                guard let pt = s.dtmfPT else { return nil }  // the far end agreed no telephone-event: the key is not sent
                payloadType = pt
            } else {
                payloadType = s.audioPT
                if fromPCMA != s.isPCMA { payload = fromPCMA ? G711.alawToUlaw(payload) : G711.ulawToAlaw(payload) }
            }
            // A new source (the first packet, or the partner's far end changed SSRC): our numbering goes on from
            // where it is, theirs keeps its gaps.
            var marker = packet.marker
            if s.relaySource?.ssrc != packet.ssrc {
                s.relaySource = (packet.ssrc, s.seq &- packet.sequence, s.ts &- packet.timestamp)
                marker = true  // a new talk spurt as far as the receiver can tell (RFC 3551 §4.1)
            }
            guard let source = s.relaySource else { return nil }
            let seq = packet.sequence &+ source.seqOffset, ts = packet.timestamp &+ source.tsOffset
            if Int16(bitPattern: seq &- s.seq) >= 0 { s.seq = seq &+ 1 }
            let end = dtmf ? ts : ts &+ UInt32(truncatingIfNeeded: payload.count)
            if Int32(bitPattern: end &- s.ts) > 0 { s.ts = end }
            s.stats.sent += 1
            s.packetsSent &+= 1
            s.octetsSent &+= UInt32(truncatingIfNeeded: payload.count)
            return (RTPPacket(payloadType: payloadType, marker: marker, sequence: seq, timestamp: ts, ssrc: ssrc, payload: payload).serialized(), remote)
        }
        guard let (bytes, remote) = out else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
    }

    func event(_ name: String, _ fields: [String: JSONValue], sequence: Int? = nil) -> String {
        var o = fields
        o["event"] = .string(name)
        o["streamSid"] = .string(streamSid)
        if let sequence { o["sequenceNumber"] = .string(String(sequence)) }
        return JSONValue.object(o).text
    }

    /// The worker's WebSocket is there: `connected` and `start` go out, then media.
    func attachWorker(customParameters: [String: String], onGone: @escaping @Sendable () -> Void) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(Self.earlyFrames + 1000))
        var custom: [String: JSONValue] = [:]
        for (k, v) in customParameters { custom[k] = .string(v) }
        // One lock section: no frame from the caller can slip in before `start`, nor between the early ones.
        let previous: AsyncStream<String>.Continuation? = state.withLockedValue { s in
            let old = s.worker
            s.worker = continuation
            s.started = true
            s.onWorkerGone = onGone
            continuation.yield(JSONValue.object(["event": "connected", "protocol": "Call", "version": "1.0.0"]).text)
            s.sequence += 1
            continuation.yield(event("start", ["start": [
                "streamSid": .string(streamSid), "callSid": .string(callId), "accountSid": "AlloResto", "tracks": ["inbound"],
                "customParameters": .object(custom),
                "mediaFormat": ["encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1],
            ]], sequence: s.sequence))
            // What the caller said before the worker was there (e.g. "allô ?" while it was being popped).
            for item in s.early {
                switch item {
                case .audio(let frame): continuation.yield(mediaEvent(&s, ulaw: frame))
                case .digit(let digit): continuation.yield(dtmfEvent(&s, digit: digit))
                }
            }
            s.early.removeAll()
            return old
        }
        previous?.finish()
        return stream
    }

    /// Caller audio (and keys pressed) kept until a worker attaches: 10 s at most (the oldest go first).
    static let earlyFrames = 500

    /// What the caller sent before a worker attached, in order.
    enum Early { case audio([UInt8]), digit(String) }

    func keepEarly(_ s: inout State, _ item: Early) {
        s.early.append(item)
        if s.early.count > Self.earlyFrames { s.early.removeFirst(); s.stats.earlyDropped += 1 }
    }

    func dtmfEvent(_ s: inout State, digit: String) -> String {
        s.sequence += 1
        return event("dtmf", ["dtmf": ["track": "inbound_track", "digit": .string(digit)]], sequence: s.sequence)
    }

    /// A `media` event for the worker (the caller's 20 ms of µ-law), numbered in order. Written by hand: the hot
    /// path (50 per second per call); every field is plain ASCII.
    func mediaEvent(_ s: inout State, ulaw: [UInt8]) -> String {
        s.chunk += 1
        s.sequence += 1
        s.stats.forwarded += 1
        return #"{"event":"media","sequenceNumber":"\#(s.sequence)","media":{"track":"inbound","chunk":"\#(s.chunk)","timestamp":"\#(s.chunk * 20)","payload":"\#(Data(ulaw).base64EncodedString())"},"streamSid":"\#(streamSid)"}"#
    }

    public var hasWorker: Bool { state.withLockedValue { $0.worker != nil } }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// A message from the worker: `media` (queued for playback), `mark` (echoed once what precedes it is played),
    /// `clear` (drops what is queued; pending marks are echoed at once).
    func fromWorker(_ text: String) {
        // The hot path (50 media messages a second per call) read on the bytes; anything unusual takes the full parse.
        if let audio = Self.mediaPayload(Array(text.utf8)) {
            state.withLockedValue { s in s.outbound.append(contentsOf: audio) }
            return
        }
        guard let message = JSONValue.parse(text), let kind = message["event"]?.string else { return }
        switch kind {
        case "media":
            guard let b64 = message["media"]?["payload"]?.string, let data = Data(base64Encoded: b64) else { return }
            state.withLockedValue { s in s.outbound.append(contentsOf: data) }
        case "mark":
            guard let name = message["mark"]?["name"]?.string else { return }
            let immediate: AsyncStream<String>.Continuation? = state.withLockedValue { s in
                let pending = s.outbound.count - s.outboundOffset
                if pending == 0 { return s.worker }
                s.marks.append((at: s.played + pending, name: name))
                return nil
            }
            immediate?.yield(event("mark", ["mark": ["name": .string(name)]]))
        case "clear":
            let (worker, names): (AsyncStream<String>.Continuation?, [String]) = state.withLockedValue { s in
                s.outbound.removeAll()
                s.outboundOffset = 0
                let names = s.marks.map(\.name)
                s.marks.removeAll()
                return (s.worker, names)
            }
            for n in names { worker?.yield(event("mark", ["mark": ["name": .string(n)]])) }
        default:
            break
        }
    }

    static let mediaEvents = [Array(#""event":"media""#.utf8), Array(#""event": "media""#.utf8)]
    static let payloadKey = Array(#""payload""#.utf8)

    /// The decoded audio of a worker's `media` message written plainly (`"event":"media"`, a `"payload"` string
    /// without escapes); nil for anything else, which then goes through the JSON parser.
    public static func mediaPayload(_ bytes: [UInt8]) -> [UInt8]? {
        guard mediaEvents.contains(where: { find($0, in: bytes) != nil }), let key = find(payloadKey, in: bytes) else { return nil }
        var i = key + payloadKey.count
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x3A { i += 1 }  // spaces and the colon
        guard i < bytes.count, bytes[i] == 0x22 else { return nil }
        let start = i + 1
        var end = start
        while end < bytes.count, bytes[end] != 0x22 {
            if bytes[end] == 0x5C { return nil }  // an escape: the parser's job
            end += 1
        }
        guard end < bytes.count else { return nil }
        return Base64.decode(bytes[start..<end])
    }

    /// Where `needle` first occurs in `haystack` (a plain scan: the generic `firstRange(of:)` was a tenth of the
    /// bridge's time under load).
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// Queues audio to play (the busy message).
    func play(_ ulaw: [UInt8]) {
        state.withLockedValue { $0.outbound.append(contentsOf: ulaw) }
    }

    /// Bytes still to play.
    var pendingAudio: Int { state.withLockedValue { $0.outbound.count - $0.outboundOffset } }

    func workerGone() {
        let gone: (@Sendable () -> Void)? = state.withLockedValue { s in
            s.worker = nil
            let g = s.onWorkerGone
            s.onWorkerGone = nil
            return g
        }
        gone?()
    }

    public var stats: Stats { state.withLockedValue { $0.stats } }

    /// Ends the media: `stop` to the worker, an RTCP BYE, the sockets closed.
    func close() {
        var bye: ([UInt8], SocketAddress)?
        let worker: AsyncStream<String>.Continuation? = state.withLockedValue { s in
            guard !s.closed else { return nil }
            if rtcpChannel != nil, let remote = s.remote, s.packetsSent > 0 {
                s.stats.rtcpSent += 1
                bye = (senderReport(&s, now: .now()) + RTCPPacket.bye(ssrcs: [ssrc]).serialized(), remote)
            }
            s.closed = true
            s.relay = nil
            clock.remove(self)
            return Self.takeWorker(&s)
        }
        if let worker { stop(worker) }
        if let (bytes, to) = bye { sendRTCP(bytes, to: to) }
        channel.close(promise: nil)
        rtcpChannel?.close(promise: nil)
    }

    /// Our compound report (RFC 3550 §6.1): SR with one block about the far end's source, then SDES CNAME.
    func senderReport(_ s: inout State, now: NIODeadline) -> [UInt8] {
        // NTP time (RFC 3550 §4): seconds since 1900 in the high word, the fraction in the low one.
        let unix = Date().timeIntervalSince1970
        let seconds = UInt64(CheckedNumber.clamped(unix.rounded(.down) + 2_208_988_800, to: 0...Int(UInt32.max)))
        let fraction = UInt64(CheckedNumber.clamped((unix - unix.rounded(.down)) * 4_294_967_296, to: 0...Int(UInt32.max)))
        let ntp = seconds << 32 | fraction
        var blocks: [RTCPReportBlock] = []
        let delay = s.lastSR.map { UInt32(truncatingIfNeeded: (now - $0.at).nanoseconds * 65536 / 1_000_000_000) } ?? 0
        if let block = s.reception.reportBlock(lastSR: s.lastSR?.ntpMiddle ?? 0, delaySinceLastSR: delay) { blocks.append(block) }
        let sr = RTCPPacket.senderReport(ssrc: ssrc, ntp: ntp, rtpTimestamp: s.ts, packets: s.packetsSent, octets: s.octetsSent, blocks: blocks)
        return sr.serialized() + RTCPPacket.sourceDescription(ssrc: ssrc, cname: "alloresto@\(callId)").serialized()
    }

    /// To the far end's RTCP port: its RTP port + 1.
    func sendRTCP(_ bytes: [UInt8], to rtp: SocketAddress) {
        guard let rtcpChannel, let port = rtp.port, let ip = rtp.ipAddress, let address = try? SocketAddress(ipAddress: ip, port: port + 1) else { return }
        var buffer = rtcpChannel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        rtcpChannel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }

    /// An RTCP datagram from the far end: counted; its SR remembered for our next report's LSR/DLSR.
    func receivedRTCP(_ bytes: [UInt8]) {
        let packets = RTCPPacket.parseCompound(bytes)
        guard !packets.isEmpty else { return }
        state.withLockedValue { s in
            s.stats.rtcpReceived += 1
            for case .senderReport(_, let ntp, _, _, _, _) in packets { s.lastSR = (UInt32(truncatingIfNeeded: ntp >> 16), .now()) }
        }
    }
}

/// Receives RTCP datagrams for one session.
final class RTCPInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let session: NIOLockedValueBox<MediaSession?>

    init(session: NIOLockedValueBox<MediaSession?>) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        session.withLockedValue { $0 }?.receivedRTCP(Array(unwrapInboundIn(data).data.readableBytesView))
    }
}

/// Receives RTP datagrams for one session.
final class RTPInbound: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let session: NIOLockedValueBox<MediaSession?>

    init(session: NIOLockedValueBox<MediaSession?>) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        session.withLockedValue { $0 }?.received(bytes, from: envelope.remoteAddress)
    }
}
