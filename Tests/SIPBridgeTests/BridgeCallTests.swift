import AlloRestoCore
import AlloRestoTestSupport
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdWSClient
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisClient
import SIPBridge
import SIPCore
import Testing

/// Real peers: `redis-server`, `sipp` (Debian `sip-tester`) and a test worker that pops the queue, connects to
/// the call's `mediaUrl` and echoes the audio. Skipped locally when they are missing; required in CI.
enum Peers {
    static var enabled: Bool { (LocalServers.exists("/usr/bin/sipp") && LocalServers.exists("/usr/bin/redis-server")) || ProcessInfo.processInfo.environment["CI"] != nil }
    static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scenarios")

    static func freePort() -> Int { LocalServers.freePort() }

    /// A well-formed INVITE with SDP, for cutting short.
    static let invite: [UInt8] = {
        let body = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
        return Array(("INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK-f\r\nFrom: <sip:2@127.0.0.1>;tag=a\r\n"
            + "To: <sip:1@127.0.0.1>\r\nCall-ID: fuzz\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }()

    /// Garbage for the SIP port: every other one that INVITE cut short anywhere, else random bytes.
    static func garbageSIP(_ i: Int, using rng: inout SeededGenerator) -> [UInt8] {
        i % 2 == 0
            ? Array(invite.prefix(Int.random(in: 0..<invite.count, using: &rng)))
            : (0..<Int.random(in: 1..<600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A JSON request to the bridge's REST side; returns the status and the JSON answer.
    static func http(_ method: String, _ url: String, body: JSONValue, headers: [String: String] = [:]) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.encoded(body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONReader.parse(Array(buffer: data))) ?? .null)
    }

    /// Runs sipp as a server (UAS) on `port` for one exchange.
    static func sippServer(_ scenario: String, port: Int, replacing: [String: String] = [:], extra: [String] = [], timeout: Double = 20) async throws -> (Int32, String) {
        var file = scenarios.appendingPathComponent(scenario)
        if !replacing.isEmpty {
            var text = try String(contentsOf: file, encoding: .utf8)
            for (k, v) in replacing { text = text.replacingOccurrences(of: k, with: v) }
            file = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString).xml")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString).err")
        p.arguments = ["-sf", file.path, "-m", "1", "-i", "127.0.0.1", "-p", String(port), "-timeout", "\(Int(timeout))s", "-nostdin",
                       "-trace_err", "-error_file", err.path] + extra
        p.currentDirectoryURL = FileManager.default.temporaryDirectory
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let status = await ChildProcess.exit(of: p, within: .seconds(timeout + 15))
        return (status, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs sipp with a scenario (placeholders replaced) against the bridge; returns its exit status (0 = passed).
    static func sipp(_ scenario: String, replacing: [String: String] = [:], bridgePort: Int, service: String = "1234", extra: [String] = [],
                     timeout: Double = 30) async throws -> (Int32, String) {
        var text = try String(contentsOf: scenarios.appendingPathComponent(scenario), encoding: .utf8)
        for (k, v) in replacing { text = text.replacingOccurrences(of: k, with: v) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString).xml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        p.arguments = ["127.0.0.1:\(bridgePort)", "-sf", file.path, "-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", String(LocalServers.freeSIPPort()),
                       "-mp", String(LocalServers.freeUDPPortBlock()), "-s", service, "-timeout", "\(Int(timeout))s", "-nostdin", "-trace_err",
                       "-error_file", file.path + ".err"] + extra
        p.currentDirectoryURL = FileManager.default.temporaryDirectory
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let status = await ChildProcess.exit(of: p, within: .seconds(timeout + 15))
        let errors = (try? String(contentsOf: URL(fileURLWithPath: file.path + ".err"), encoding: .utf8)) ?? ""
        return (status, errors)
    }
}

/// Collects the RTP the bridge sends to the caller's media address.
final class RTPListener: Sendable {
    let payloads = NIOLockedValueBox<[[UInt8]]>([])
    /// Where the bridge's RTP comes from: its media socket for the call.
    let source = NIOLockedValueBox<SocketAddress?>(nil)
    /// Every datagram as received (RTCP is read from these).
    let datagrams = NIOLockedValueBox<[[UInt8]]>([])
    let channel: any Channel

    init(port: Int = 0) async throws {
        let box = payloads, from = source, raw = datagrams
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // A few seconds of audio may wait here while a loaded machine starves this event loop.
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Collector(box: box, from: from, raw: raw)) } }
            .bind(host: "127.0.0.1", port: port).get()
    }

    var port: Int { channel.localAddress!.port! }

    /// Waits (5 s at most) until the payloads received contain `bytes`: the last packets may still be on their way
    /// to this listener's event loop when the peer that ended the call exits.
    func awaitPayloads(containing bytes: [UInt8]) async {
        for _ in 0..<250 where payloads.withLockedValue({ $0.flatMap { $0 } }).firstRange(of: bytes) == nil {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Everything received, silence frames (all 0xFF) left out.
    var audio: [UInt8] { payloads.withLockedValue { $0.filter { !$0.allSatisfy { $0 == 0xFF } }.flatMap { $0 } } }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<[[UInt8]]>
        let from: NIOLockedValueBox<SocketAddress?>
        let raw: NIOLockedValueBox<[[UInt8]]>
        init(box: NIOLockedValueBox<[[UInt8]]>, from: NIOLockedValueBox<SocketAddress?>, raw: NIOLockedValueBox<[[UInt8]]>) {
            self.box = box
            self.from = from
            self.raw = raw
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            raw.withLockedValue { $0.append(Array(envelope.data.readableBytesView)) }
            from.withLockedValue { $0 = $0 ?? envelope.remoteAddress }
            if let p = RTPPacket.parse(Array(envelope.data.readableBytesView)) { box.withLockedValue { $0.append(p.payload) } }
        }
    }

    /// Sends RFC 4733 DTMF (payload type 101) to the bridge's media socket: a few updates then three end packets
    /// per digit, as a phone does.
    /// Sends µ-law audio to the bridge's media address in packets of `packetBytes` (240 = 30 ms), with this SSRC
    /// and first sequence number.
    /// Sends `audio` as PCMU packets of `packetBytes`, paced in real time; with `comfortNoiseEvery`, a comfort noise
    /// packet (RFC 3389, payload type 13) follows every that many packets in the same stream, as a phone with
    /// voice activity detection sends.
    func sendAudio(_ audio: [UInt8], packetBytes: Int, ssrc: UInt32, firstSequence: UInt16, comfortNoiseEvery: Int? = nil) async throws {
        for _ in 0..<100 where source.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        guard let to = source.withLockedValue({ $0 }) else { return }
        var seq = firstSequence
        var ts = UInt32(ssrc &* 1000)
        for start in stride(from: 0, to: audio.count, by: packetBytes) {
            let chunk = Array(audio[start..<min(audio.count, start + packetBytes)])
            let p = RTPPacket(payloadType: 0, sequence: seq, timestamp: ts, ssrc: ssrc, payload: chunk)
            seq &+= 1
            ts &+= UInt32(chunk.count)
            var b = channel.allocator.buffer(capacity: p.serialized().count)
            b.writeBytes(p.serialized())
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: b))
            if let every = comfortNoiseEvery, (start / packetBytes) % every == every - 1 {
                let cn = RTPPacket(payloadType: 13, sequence: seq, timestamp: ts, ssrc: ssrc, payload: [0x40])
                seq &+= 1
                try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: cn.serialized())))
            }
            try await Task.sleep(for: .milliseconds(packetBytes / 8))
        }
    }

    /// One datagram from this listener's socket.
    func send(_ bytes: [UInt8], to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: bytes)))
    }

    func sendDTMF(_ digits: [UInt8]) async throws {
        for _ in 0..<100 where source.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        guard let to = source.withLockedValue({ $0 }) else { return }
        let channel = channel
        // Paced on a thread of its own, as a phone would: with the whole suite running, the two cooperative threads
        // can be busy for seconds and the keys would come after the caller has hung up.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                var seq: UInt16 = 5000
                for (i, d) in digits.enumerated() {
                    let ts = UInt32(100_000 + i * 8000)
                    for k in 0..<6 {
                        let end = k >= 3
                        let p = RTPPacket(payloadType: 101, marker: k == 0, sequence: seq, timestamp: ts, ssrc: 99, payload: [d, end ? 0x8A : 0x0A, 0x03, 0x20])
                        seq &+= 1
                        var b = channel.allocator.buffer(capacity: 16)
                        b.writeBytes(p.serialized())
                        try? channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: b)).wait()
                        usleep(20_000)
                    }
                }
                done.resume()
            }
        }
    }
}

/// A voice worker as sip-agent-server runs it: BRPOP the queue, connect to mediaUrl, echo the audio.
struct TestWorker {
    struct Outcome: Sendable {
        var event: JSONValue
        var start: JSONValue?
        var received: [UInt8]
        var dtmf: [String]
        var stopped: Bool
        /// Each media event's payload size and `media.timestamp` (ms).
        var frames: [(bytes: Int, timestamp: Int)] = []
    }

    /// Takes one call; `hangUpAfter` closes the WebSocket after that many media frames (the worker ending the call).
    static func takeOne(redisURL: String, queue: String, hangUpAfter: Int? = nil, connectAfter: Duration = .zero) async throws -> Outcome {
        let redis = try await RedisConnection.connect(url: redisURL)
        defer { Task { await redis.close() } }
        let popped = try await redis.send(["BRPOP", queue, "20"])
        guard case .array(let pair?) = popped, pair.count == 2, let text = pair[1].string, let event = try? JSONReader.parse(Array(text.utf8)) else {
            throw CancellationError()
        }
        let url = event["mediaUrl"]!.stringValue!
        try await Task.sleep(for: connectAfter)
        let state = NIOLockedValueBox(Outcome(event: event, start: nil, received: [], dtmf: [], stopped: false))
        try await WebSocketClient.connect(url: url, logger: Logger(label: "worker")) { inbound, outbound, _ in
            var frames = 0
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let t) = message, let m = try? JSONReader.parse(Array(t.utf8)) else { continue }
                switch m["event"]?.stringValue {
                case "start":
                    state.withLockedValue { $0.start = m["start"] }
                    if hangUpAfter == 0 {
                        // Leave once the call is surely answered (the event is queued while it still rings).
                        try await Task.sleep(for: .seconds(1))
                        return
                    }
                case "media":
                    if let b64 = m["media"]?["payload"]?.stringValue, let data = Data(base64Encoded: b64) {
                        let ts = m["media"]?["timestamp"]?.stringValue.flatMap { Int($0) } ?? -1
                        state.withLockedValue { $0.received += Array(data); $0.frames.append((data.count, ts)) }
                        try await outbound.write(.text(#"{"event":"media","streamSid":"x","media":{"payload":"\#(b64)"}}"#))
                        frames += 1
                        if let n = hangUpAfter, frames >= n { return }
                    }
                case "dtmf": if let d = m["dtmf"]?["digit"]?.stringValue { state.withLockedValue { $0.dtmf.append(d) } }
                case "stop":
                    state.withLockedValue { $0.stopped = true }
                    return
                default: break
                }
            }
        }
        return state.withLockedValue { $0 }
    }
}

@Suite(.serialized) struct BridgeCallTests {
    static func bridge(redisPort: Int, _ configure: (inout BridgeConfiguration) -> Void = { _ in }) async throws -> SIPBridgeService {
        var c = BridgeConfiguration()
        c.bindHost = "127.0.0.1"
        c.sipPort = 0
        c.httpPort = Peers.freePort()
        c.redisURL = "redis://127.0.0.1:\(redisPort)"
        c.queueKey = "queue:test-\(UUID().uuidString.prefix(8))"
        c.workerTimeout = .seconds(5)
        configure(&c)
        let b = SIPBridgeService(config: c)
        try await b.start()
        // The Redis link connects at the first call; on a loaded machine that first connect can miss its 3 s
        // timeout and the call is (rightly) refused with 503. Connect it now, while no caller waits: a few tries
        // where a Redis was started (refused at once where none listens, as for port 9).
        if redisPort != 9 {
            for _ in 0..<5 where !(await b.redis.healthy()) { try await Task.sleep(for: .milliseconds(100)) }
        }
        return b
    }

    static func withHTTP<T: Sendable>(_ bridge: SIPBridgeService, _ body: @Sendable () async throws -> T) async throws -> T {
        let app = await BridgeServer.application(bridge: bridge, logger: Logger(label: "bridge-http"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await app.runService(); return nil }
            // Wait for the HTTP port.
            for _ in 0..<100 where !LocalServers.accepts(port: bridge.config.httpPort) { try await Task.sleep(for: .milliseconds(50)) }
            let result = try await body()
            group.cancelAll()
            return result
        }
    }

    @Test(.enabled(if: Peers.enabled)) func inboundCallIsQueuedBridgedAndEchoedBitExact() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await Self.bridge(redisPort: redisPort) { $0.lines = [SIPLine(domain: "sip.test", username: "0142601234", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "r-1"])] }
        let listener = try await RTPListener()
        let audio = try [UInt8](Data(contentsOf: Peers.scenarios.appendingPathComponent("tone-600hz.ulaw")))
        let sipPort = await bridge.localPort
        let config = bridge.config
        let outcome = try await Self.withHTTP(bridge) {
            // The worker connects late: the caller's first second of audio reaches it all the same.
            async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, connectAfter: .milliseconds(1500))
            async let dtmf: Void = {
                // 4, 2, # as the audio starts, before the worker is there: they reach it after `start`, in order.
                try await Task.sleep(for: .milliseconds(800))
                try await listener.sendDTMF([4, 2, 11])
            }()
            let (status, errors) = try await Peers.sipp("uac-call.xml", replacing: [
                "MEDIA_PORT": String(listener.port), "AUDIO_FILE": Peers.scenarios.appendingPathComponent("tone-600hz.ulaw").path,
            ], bridgePort: sipPort, extra: ["-s", "0142601234"])
            #expect(status == 0, "sipp: \(errors)")
            try await dtmf
            return try await worker
        }
        // The caller's BYE ended the call (not the 200 OK timer: the ACK and BYE reached the dialog).
        let ended = await bridge.callInfos().recent.first
        #expect(ended?.endReason == "caller hung up", "\(String(describing: ended))")
        // The metrics: every frame in and out counted, nothing skipped by the pacer, one set-up measured.
        let m = await bridge.metrics()
        #expect(m.answeredCalls == 1 && m.endedCalls == 1 && m.activeCalls == 0)
        #expect(m.framesForwarded == audio.count / 160 && m.framesSent == audio.count / 160 && m.framesSkipped == 0)
        #expect(m.framesReceived >= m.framesForwarded)
        #expect(m.sendLateUs.count > 0 && m.sendLateUs.count <= m.framesSent + m.silenceFrames)  // a late tick may send two
        #expect(m.inviteToQueuedMs.count == 1 && m.inviteToAnswerMs.count == 1)
        #expect(m.inviteToAnswerMs.p50 >= 300, "the configured 300 ms of ringing come first")
        await bridge.stop()
        // The queue event.
        #expect(outcome.event["direction"] == "inbound" && outcome.event["from"] == "0612345678" && outcome.event["to"] == "0142601234")
        #expect(outcome.event["restaurantId"] == "r-1")
        #expect(outcome.start?["customParameters"]?["callerPhone"] == "0612345678")
        #expect(outcome.start?["mediaFormat"]?["encoding"] == "audio/x-mulaw")
        // Bit-exact audio to the worker, and the echo back to the caller's media address.
        #expect(outcome.received.count == audio.count)
        // (compared first, so a failure prints a line, not two arrays of 24,000 bytes)
        let toWorker = outcome.received == audio, echoed = listener.audio == audio
        #expect(toWorker, "bit-exact to the worker")
        #expect(echoed, "the echo reached the caller")
        #expect(outcome.dtmf == ["4", "2", "#"])
        #expect(outcome.stopped)
    }

    @Test(.enabled(if: Peers.enabled)) func cancelBusyPastTheLimitAndRedisDownThenBack() async throws {
        let redisPort = Peers.freePort()
        var redis = try LocalServers.startRedis(port: redisPort)
        // A caller that cancels while it rings: 200 to the CANCEL, 487 to the INVITE.
        let ringing = try await Self.bridge(redisPort: redisPort) { $0.ringTime = .seconds(2) }
        let (cancelled, cancelErrors) = try await Peers.sipp("uac-cancel.xml", bridgePort: await ringing.localPort)
        #expect(cancelled == 0, "sipp: \(cancelErrors)")
        #expect(await ringing.callInfos().recent.first?.endReason == "cancelled")
        await ringing.stop()

        // Past max-concurrent-calls: 486 Busy Here.
        let full = try await Self.bridge(redisPort: redisPort) { $0.maxConcurrentCalls = 0 }
        let (busy, busyErrors) = try await Peers.sipp("uac-refused.xml", replacing: ["EXPECTED_CODE": "486"], bridgePort: await full.localPort)
        #expect(busy == 0, "sipp: \(busyErrors)")
        await full.stop()

        // Redis down: 503 at once; Redis back: the next call is queued again, without restarting the bridge.
        let bridge = try await Self.bridge(redisPort: redisPort)
        LocalServers.stop(redis, port: redisPort)
        let (refused, refusedErrors) = try await Peers.sipp("uac-refused.xml", replacing: ["EXPECTED_CODE": "503"], bridgePort: await bridge.localPort)
        #expect(refused == 0, "sipp: \(refusedErrors)")
        #expect(await !bridge.redis.healthy())
        redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let (cancelledAgain, _) = try await Peers.sipp("uac-cancel.xml", bridgePort: await bridge.localPort)
        #expect(cancelledAgain == 0)
        let queued = try await RedisConnection.connect(url: bridge.config.redisURL).send(["LLEN", bridge.config.queueKey])
        #expect(queued == .integer(1))
        await bridge.stop()
    }

    @Test(.enabled(if: Peers.enabled)) func noWorkerHearsTheBusyMessageThenTheBridgeHangsUp() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await Self.bridge(redisPort: redisPort) { $0.workerTimeout = .milliseconds(500) }
        let listener = try await RTPListener()
        // The caller waits for the bridge's BYE (the scenario answers it).
        let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)], bridgePort: await bridge.localPort, timeout: 20)
        #expect(status == 0, "sipp: \(errors)")
        let message = SIPBridgeService.busyMessage()
        #expect(message.count > 16_000)
        await listener.awaitPayloads(containing: message)
        let heard = listener.payloads.withLockedValue { $0.flatMap { $0 } }
        #expect(heard.firstRange(of: message) != nil, "the whole recorded message reached the caller")
        #expect(await bridge.callInfos().recent.first?.endReason == "no worker")
        await bridge.stop()
    }

    @Test(.enabled(if: Peers.enabled)) func registersWithDigestAgainstARegistrarThatChallenges() async throws {
        let registrarPort = LocalServers.freeSIPPort()
        async let registrar = Peers.sippServer("uas-registrar.xml", port: registrarPort, extra: ["-au", "line1", "-ap", "secret-1"])
        try await Task.sleep(for: .milliseconds(500))
        var c = BridgeConfiguration()
        c.bindHost = "127.0.0.1"
        c.sipPort = 0
        c.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: "127.0.0.1:\(registrarPort)", expires: 120)]
        let bridge = SIPBridgeService(config: c)
        try await bridge.start()
        var state = ""
        for _ in 0..<100 {
            state = await bridge.lineInfos().first?.state ?? ""
            if state == "registered" || state == "failed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state == "registered")
        let (status, errors) = try await registrar
        #expect(status == 0, "registrar: \(errors)")
        await bridge.stop()
    }

    /// `POST /api/calls` to a callee behind a proxy that answers the INVITE with 407: the bridge authenticates,
    /// the callee answers, the call is queued for a worker (direction outbound), the callee's audio reaches the worker
    /// bit-exact, the worker hangs up and the bridge sends BYE; status callbacks arrive in order.
    @Test(.enabled(if: Peers.enabled)) func outboundCallAnswersTheProxyChallengeAndIsBridged() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let calleePort = LocalServers.freeSIPPort(), calleeMedia = LocalServers.freeUDPPortBlock()
        let bridge = try await Self.bridge(redisPort: redisPort) {
            $0.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: "127.0.0.1:9", proxy: "127.0.0.1:\(calleePort)", params: ["restaurantId": "r-9"])]
        }
        let audio = try [UInt8](Data(contentsOf: Peers.scenarios.appendingPathComponent("tone-600hz.ulaw")))
        let statuses = NIOLockedValueBox<[JSONValue]>([])
        let callbackPort = Peers.freePort()
        let callbacks = Router()
        callbacks.post("/status") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 16)
            if let json = try? JSONReader.parse(Array(buffer: body)) { statuses.withLockedValue { $0.append(json) } }
            return .noContent
        }
        let callbackApp = Application(router: callbacks, configuration: .init(address: .hostname("127.0.0.1", port: callbackPort)))
        let config = bridge.config
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await callbackApp.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: callbackPort) { try await Task.sleep(for: .milliseconds(50)) }
            try await Self.withHTTP(bridge) {
                // The line's proxy is the callee itself; no registration is needed to call.
                async let callee = Peers.sippServer("uas-callee-auth.xml", port: calleePort, replacing: [
                    "AUDIO_FILE": Peers.scenarios.appendingPathComponent("tone-600hz.ulaw").path,
                ], extra: ["-mi", "127.0.0.1", "-mp", String(calleeMedia)], timeout: 30)
                async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: audio.count / 160)
                try await Task.sleep(for: .milliseconds(500))
                let (code, created) = try await Peers.http("POST", "http://127.0.0.1:\(config.httpPort)/api/calls", body: [
                    "to": "+33612345678", "params": ["campaign": "rappel"], "statusCallback": .string("http://127.0.0.1:\(callbackPort)/status"),
                ])
                #expect(code == 201)
                #expect(created["direction"] == "outbound" && created["state"] == "ringing" && created["status"] == "initiated" && created["to"] == "+33612345678")
                let outcome = try await worker
                let (status, errors) = try await callee
                #expect(status == 0, "callee: \(errors)")
                #expect(outcome.event["direction"] == "outbound" && outcome.event["to"] == "+33612345678" && outcome.event["restaurantId"] == "r-9")
                #expect(outcome.start?["customParameters"]?["campaign"] == "rappel")
                let exact = outcome.received == audio
                #expect(exact, "bit-exact to the worker")
                // The statuses, in order, the last once the BYE is answered.
                for _ in 0..<50 where statuses.withLockedValue({ $0.count }) < 5 { try await Task.sleep(for: .milliseconds(100)) }
                #expect(statuses.withLockedValue { $0 }.compactMap { $0["status"]?.stringValue } == ["initiated", "ringing", "answered", "active", "completed"])
                // A proxy that challenges with 407, then a busy callee.
                statuses.withLockedValue { $0 = [] }
                async let proxy = Peers.sippServer("uas-callee-407-busy.xml", port: calleePort, timeout: 20)
                try await Task.sleep(for: .milliseconds(500))
                let (busyCode, _) = try await Peers.http("POST", "http://127.0.0.1:\(config.httpPort)/api/calls", body: [
                    "to": "sip:0699887766@alloresto.test", "statusCallback": .string("http://127.0.0.1:\(callbackPort)/status"),
                ])
                #expect(busyCode == 201)
                let (proxyStatus, proxyErrors) = try await proxy
                #expect(proxyStatus == 0, "proxy: \(proxyErrors)")
                // Refusals: a call to nothing, a bad callback URL.
                #expect(try await Peers.http("POST", "http://127.0.0.1:\(config.httpPort)/api/calls", body: ["to": " "]).0 == 422)
                #expect(try await Peers.http("POST", "http://127.0.0.1:\(config.httpPort)/api/calls", body: ["to": "+33612345678", "statusCallback": "ftp://x"]).0 == 422)
            }
            for _ in 0..<50 where statuses.withLockedValue({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
        #expect(statuses.withLockedValue { $0 }.compactMap { $0["status"]?.stringValue } == ["initiated", "busy"])
        let recent = await bridge.callInfos().recent
        #expect(Set(recent.compactMap(\.endReason)) == ["worker hung up", "busy"])
        await bridge.stop()
    }

    /// A callee that only rings: after the ring timeout the bridge CANCELs, ACKs the callee's 487, and the call ends
    /// `no answer` (status `no-answer`).
    @Test(.enabled(if: Peers.enabled)) func anUnansweredOutboundCallIsCancelledAfterTheRingTimeout() async throws {
        let calleePort = LocalServers.freeSIPPort()
        let bridge = try await Self.bridge(redisPort: 9) {
            $0.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: "127.0.0.1:9", proxy: "127.0.0.1:\(calleePort)")]
        }
        async let callee = Peers.sippServer("uas-callee-no-answer.xml", port: calleePort, timeout: 20)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await bridge.dial(.init(to: "+33611111111", ringTimeout: .seconds(1)))
        #expect(call.state == "ringing")
        let (status, errors) = try await callee
        #expect(status == 0, "callee: \(errors)")
        let ended = await bridge.callInfos().recent.first
        #expect(ended?.sid == call.sid && ended?.endReason == "no answer" && ended?.direction == "outbound")
        #expect(SIPBridgeService.unansweredStatus(ended?.endReason) == "no-answer")
        await bridge.stop()
    }

    @Test(.enabled(if: Peers.enabled)) func theWorkerHangingUpSendsBYEToTheCaller() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await Self.bridge(redisPort: redisPort)
        let listener = try await RTPListener()
        let config = bridge.config
        let sipPort = await bridge.localPort
        try await Self.withHTTP(bridge) {
            // The worker leaves one second after the start message.
            async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: 0)
            let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)], bridgePort: sipPort, timeout: 20)
            #expect(status == 0, "sipp: \(errors)")
            let outcome = try await worker
            #expect(outcome.start != nil)
        }
        #expect(await bridge.callInfos().recent.first?.endReason == "worker hung up")
        await bridge.stop()
    }

    /// Push mode: the bridge dials `--ws-target` for the answered call (no Redis at all) and the worker on the other
    /// end gets the caller's audio bit-exact and echoes it; the caller hangs up and the worker gets `stop`. Then a
    /// target nobody listens on: the caller hears the busy message at once (long before the worker timeout).
    @Test(.enabled(if: Peers.enabled)) func pushModeDialsTheWorkerAndEchoesBitExact() async throws {
        struct Seen: Sendable { var start: JSONValue?; var received: [UInt8] = []; var stopped = false; var path = "" }
        let seen = NIOLockedValueBox(Seen())
        let ws = Router(context: BasicWebSocketRequestContext.self)
        ws.ws("/stream") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, context in
            seen.withLockedValue { $0.path = context.request.uri.path }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let t) = message, let m = try? JSONReader.parse(Array(t.utf8)) else { continue }
                switch m["event"]?.stringValue {
                case "start": seen.withLockedValue { $0.start = m["start"] }
                case "media":
                    if let b64 = m["media"]?["payload"]?.stringValue, let data = Data(base64Encoded: b64) {
                        seen.withLockedValue { $0.received += Array(data) }
                        try await outbound.write(.text(#"{"event":"media","streamSid":"x","media":{"payload":"\#(b64)"}}"#))
                    }
                case "stop": seen.withLockedValue { $0.stopped = true }
                default: break
                }
            }
        }
        let targetPort = LocalServers.freeSIPPort()
        let target = Application(router: Router(), server: .http1WebSocketUpgrade(webSocketRouter: ws),
                                 configuration: .init(address: .hostname("127.0.0.1", port: targetPort)), logger: Logger(label: "push-target"))
        let audio = try [UInt8](Data(contentsOf: Peers.scenarios.appendingPathComponent("tone-600hz.ulaw")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await target.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: targetPort) { try await Task.sleep(for: .milliseconds(50)) }
            // Redis points nowhere: push mode must not need it.
            let bridge = try await Self.bridge(redisPort: 9) {
                $0.wsTarget = "ws://127.0.0.1:\(targetPort)/stream"
                $0.lines = [SIPLine(domain: "sip.test", username: "0142601234", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "r-push"])]
            }
            let listener = try await RTPListener()
            let (status, errors) = try await Peers.sipp("uac-call.xml", replacing: [
                "MEDIA_PORT": String(listener.port), "AUDIO_FILE": Peers.scenarios.appendingPathComponent("tone-600hz.ulaw").path,
            ], bridgePort: await bridge.localPort, extra: ["-s", "0142601234"])
            #expect(status == 0, "sipp (the caller's BYE answered): \(errors)")
            for _ in 0..<50 where !seen.withLockedValue({ $0.stopped }) { try await Task.sleep(for: .milliseconds(50)) }
            let s = seen.withLockedValue { $0 }
            #expect(s.path == "/stream")
            #expect(s.start?["customParameters"]?["restaurantId"] == "r-push" && s.start?["customParameters"]?["callerPhone"] == "0612345678")
            #expect(s.received.count == audio.count)
            let toWorker = s.received == audio, echoed = listener.audio == audio
            #expect(toWorker, "bit-exact to the worker")
            #expect(echoed, "the echo reached the caller")
            #expect(s.stopped)
            let ended = await bridge.callInfos().recent.first
            #expect(ended?.endReason == "caller hung up", "\(String(describing: ended))")
            await bridge.stop()

            // Nobody at the target: the busy message at once (the worker timeout is 30 s, sipp gives up after 20).
            let nowhere = try await Self.bridge(redisPort: 9) {
                $0.wsTarget = "ws://127.0.0.1:9/stream"
                $0.workerTimeout = .seconds(30)
            }
            let caller = try await RTPListener()
            let (hungUp, hangUpErrors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(caller.port)], bridgePort: await nowhere.localPort, timeout: 20)
            #expect(hungUp == 0, "sipp: \(hangUpErrors)")
            await caller.awaitPayloads(containing: SIPBridgeService.busyMessage())
            let heard = caller.payloads.withLockedValue { $0.flatMap { $0 } }
            #expect(heard.firstRange(of: SIPBridgeService.busyMessage()) != nil)
            #expect(await nowhere.callInfos().recent.first?.endReason == "no worker")
            await nowhere.stop()
            group.cancelAll()
        }
    }

    /// 20,000 random or truncated datagrams at the running bridge: no crash, no dialog created, and it still answers.
    @Test(.enabled(if: Peers.enabled)) func garbageDatagramsLeaveNoTraceAndTheBridgeKeepsWorking() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await Self.bridge(redisPort: redisPort)
        let sipPort = await bridge.localPort
        let sender = try await RTPListener()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: sipPort)
        var rng = SeededGenerator(seed: 7)
        for i in 0..<20_000 {
            let bytes = Peers.garbageSIP(i, using: &rng)
            var b = sender.channel.allocator.buffer(capacity: bytes.count)
            b.writeBytes(bytes)
            sender.channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: b), promise: nil)
            if i % 500 == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(await bridge.dialogCount == 0)
        // Still a working phone: a caller that cancels gets its 200 and 487.
        let (status, errors) = try await Peers.sipp("uac-cancel.xml", bridgePort: sipPort)
        #expect(status == 0, "sipp: \(errors)")
        await bridge.stop()
    }
}
