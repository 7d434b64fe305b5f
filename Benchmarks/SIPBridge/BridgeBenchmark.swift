import AlloRestoTestSupport
import AsyncHTTPClient
import WireFormats

@preconcurrency import Benchmark
import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisClient
import SIPBridge
import SIPCore

/// Concurrent bridged calls: `sipp` places N calls that stream a µ-law recording, the built `alloresto
/// sip-bridge` (its own process) answers and queues them on a real `redis-server`, echo workers in this process pop
/// the queue, connect to each call's media WebSocket and send every frame back, and the bridge's RTP to the callers
/// goes to a sink here that counts it. Reported per run: how late the bridge sent RTP against its 20 ms schedule
/// (p50/p99/max, from its `/api/metrics`), frames lost each way, call set-up times, and the CPU of each process.
///
/// `BRIDGE_CALLS=50,100,200` picks the call counts, `BRIDGE_MEDIA_THREADS` the bridge's `--media-threads` (2);
/// `ALLORESTO_BIN` the bridge binary (default
/// `.build/release/alloresto`: `swift build -c release --product alloresto` first).
let benchmarks: @Sendable () -> Void = {
    let counts = (ProcessInfo.processInfo.environment["BRIDGE_CALLS"] ?? "50,100,150,200,300").split(separator: ",").compactMap { Int($0) }
    let metrics: [BenchmarkMetric] = [
        .custom("send late p99 (µs)", useScalingFactor: false), .custom("send late max (µs)", useScalingFactor: false),
        .custom("frames lost", useScalingFactor: false), .custom("INVITE → queued p99 (ms)", useScalingFactor: false),
        .custom("INVITE → 200 OK p99 (ms)", useScalingFactor: false), .custom("bridge CPU (%)", useScalingFactor: false),
        .custom("bridge core-ms per call-second", useScalingFactor: false),
    ]
    for n in counts {
        Benchmark("sip-bridge: \(n) concurrent calls, echoed",
                  configuration: .init(metrics: metrics, warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(900), maxIterations: 1)) { benchmark in
            let r = try await BridgeRun(calls: n).run()
            // package-benchmark keeps the benchmark's own output to itself: the breakdown goes to a file.
            let report = URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/.build/benchmarks/sip-bridge-\(n)-calls.txt")
            try? FileManager.default.createDirectory(at: report.deletingLastPathComponent(), withIntermediateDirectories: true)
            try r.summary.write(to: report, atomically: true, encoding: .utf8)
            benchmark.measurement(metrics[0], r.metrics.sendLateUs.p99)
            benchmark.measurement(metrics[1], r.metrics.sendLateUs.max)
            benchmark.measurement(metrics[2], r.lostIn + r.lostOut + r.metrics.framesSkipped)
            benchmark.measurement(metrics[3], r.metrics.inviteToQueuedMs.p99)
            benchmark.measurement(metrics[4], r.metrics.inviteToAnswerMs.p99)
            benchmark.measurement(metrics[5], Int(r.bridgeCPU / r.seconds * 100))
            benchmark.measurement(metrics[6], Int((r.coreMsPerCallSecond).rounded()))
        }
    }
}

struct BridgeRun {
    struct Result {
        var calls: Int
        var metrics: BridgeMetrics
        var lostIn: Int
        var lostOut: Int
        var workerCalls: Int
        var sinkPackets: Int
        var sippStatus: Int32
        var seconds: Double
        var bridgeCPU: Double
        var sippCPU: Double
        var selfCPU: Double
        /// Seconds of call the run carried (calls × each call's length).
        var callSeconds: Double

        /// The bridge's CPU per call: milliseconds of one core per second of call.
        var coreMsPerCallSecond: Double { callSeconds > 0 ? bridgeCPU * 1000 / callSeconds : 0 }

        var summary: String {
            let m = metrics
            return """
                sip-bridge bench: \(calls) calls (\(workerCalls) reached a worker, sipp exit \(sippStatus)), \(String(format: "%.1f", seconds)) s
                  RTP send lateness: p50 \(m.sendLateUs.p50) µs, p99 \(m.sendLateUs.p99) µs, max \(m.sendLateUs.max) µs over \(m.sendLateUs.count) ticks; \
                frames skipped \(m.framesSkipped)
                  frames: caller → worker lost \(lostIn) (received \(m.framesReceived), forwarded \(m.framesForwarded)); worker → caller lost \(lostOut) \
                (sent \(m.framesSent) + \(m.silenceFrames) silence; sink got \(sinkPackets))
                  set-up: INVITE → queued p50 \(m.inviteToQueuedMs.p50) ms, p99 \(m.inviteToQueuedMs.p99) ms; INVITE → 200 OK p50 \(m.inviteToAnswerMs.p50) ms, \
                p99 \(m.inviteToAnswerMs.p99) ms
                  CPU over the run: bridge \(String(format: "%.0f", bridgeCPU / seconds * 100)) %, sipp \(String(format: "%.0f", sippCPU / seconds * 100)) %, \
                workers + sink \(String(format: "%.0f", selfCPU / seconds * 100)) % (of one core; 2 cores = 200 %)
                  bridge CPU per call: \(String(format: "%.2f", coreMsPerCallSecond)) core-ms per call-second (\(String(format: "%.2f", bridgeCPU)) CPU s over \(String(format: "%.0f", callSeconds)) call-seconds)
                """
        }
    }

    let calls: Int
    /// The recording plays this many times (3 s each); the call lasts 1.5 s more so the echo is played out.
    var loops = 3
    var rate = 50

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let audio = folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/SIPBridgeTests/Scenarios/tone-600hz.ulaw")

    /// CPU seconds (user + system) of a live process, from /proc/PID/stat.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based) → 11 and 12 here.
        guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds (user + system) of this process (`children: false`) or of its ended children.
    static func usage(children: Bool) -> Double {
        var r = rusage()
        getrusage(Int32(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue), &r)
        let user = Double(r.ru_utime.tv_sec) + Double(r.ru_utime.tv_usec) / 1e6
        let system = Double(r.ru_stime.tv_sec) + Double(r.ru_stime.tv_usec) / 1e6
        return user + system
    }

    static func start(_ path: String, _ args: [String], environment: [String: String]? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let environment { p.environment = environment }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func run() async throws -> Result {
        let env = ProcessInfo.processInfo.environment
        let binary = env["ALLORESTO_BIN"] ?? FileManager.default.currentDirectoryPath + "/.build/release/alloresto"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no bridge binary at \(binary): run `swift build -c release --product alloresto` first (or set ALLORESTO_BIN)")
        }
        for tool in ["/usr/bin/sipp", "/usr/bin/redis-server"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw BenchError("\(tool) is missing (apt-get install sip-tester redis-server)")
        }
        let redisPort = LocalServers.freePort(), sipPort = LocalServers.freePort(), httpPort = LocalServers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        var bridgeEnv = env
        bridgeEnv["LOG_LEVEL"] = "error"
        let queue = "queue:bench"
        let bridge = try Self.start(binary, [
            "sip-bridge", "--bind", "127.0.0.1", "--sip-port", String(sipPort), "--http-port", String(httpPort), "--redis-url", "redis://127.0.0.1:\(redisPort)",
            "--queue-key", queue, "--max-concurrent-calls", String(calls + 10), "--ring-ms", "0", "--worker-timeout", "30",
            "--media-threads", env["BRIDGE_MEDIA_THREADS"] ?? "2",
        ], environment: bridgeEnv)
        defer { kill(bridge.processIdentifier, SIGKILL) }
        for _ in 0..<200 where !LocalServers.accepts(port: httpPort) { try await Task.sleep(for: .milliseconds(50)) }

        let sink = try await RTPSink()
        let workers = EchoWorkers()
        let workerTask = Task { try await workers.serve(redisURL: "redis://127.0.0.1:\(redisPort)", queue: queue) }
        defer { workerTask.cancel() }

        let frameCount = (try Data(contentsOf: Self.audio).count) / 160 * loops
        var scenario = try String(contentsOf: Self.folder.appendingPathComponent("uac-bench.xml"), encoding: .utf8)
        for (k, v) in ["SINK_PORT": String(sink.port), "AUDIO_FILE": Self.audio.path, "AUDIO_LOOPS": String(loops), "CALL_MS": String(loops * 3000 + 1500)] {
            scenario = scenario.replacingOccurrences(of: k, with: v)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).xml")
        try scenario.write(to: file, atomically: true, encoding: .utf8)

        let sippErrors = file.deletingPathExtension().appendingPathExtension("errors")
        let bridgeBefore = Self.cpuSeconds(pid: bridge.processIdentifier)
        let childrenBefore = Self.usage(children: true), selfBefore = Self.usage(children: false)
        let started = ContinuousClock.now
        let sipp = try Self.start("/usr/bin/sipp", [
            "127.0.0.1:\(sipPort)", "-sf", file.path, "-l", String(calls), "-m", String(calls), "-r", String(rate), "-rp", "1000",
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", String(LocalServers.freePort()), "-mp", String(LocalServers.freeUDPPortBlock()),
            "-s", "0142601234", "-timeout", "600s", "-nostdin", "-trace_err", "-error_file", sippErrors.path,
        ])
        let sippStatus = await ChildProcess.exit(of: sipp)
        if sippStatus != 0 {
            let errors = (try? String(contentsOf: sippErrors, encoding: .utf8)) ?? ""
            FileHandle.standardError.write(Data("sipp exit \(sippStatus); its errors (\(sippErrors.path)):\n\(errors.split(separator: "\n").prefix(20).joined(separator: "\n"))\n".utf8))
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let bridgeCPU = Self.cpuSeconds(pid: bridge.processIdentifier) - bridgeBefore
        let sippCPU = Self.usage(children: true) - childrenBefore, selfCPU = Self.usage(children: false) - selfBefore
        try await Task.sleep(for: .milliseconds(500))

        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(httpPort)/api/metrics"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let metrics = try JSONDecoder().decode(BridgeMetrics.self, from: Data(buffer: body))
        let w = workers.totals
        return Result(
            calls: calls, metrics: metrics, lostIn: calls * frameCount - w.received, lostOut: w.echoed - metrics.framesSent, workerCalls: w.calls,
            sinkPackets: sink.count, sippStatus: sippStatus, seconds: seconds, bridgeCPU: bridgeCPU, sippCPU: sippCPU, selfCPU: selfCPU,
            callSeconds: Double(calls) * Double(loops * 3000 + 1500) / 1000)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Counts the RTP the bridge sends to the callers.
final class RTPSink: Sendable {
    let received = NIOLockedValueBox(0)
    let channel: any Channel

    init() async throws {
        let box = received
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 8 << 20)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Counter(box: box)) } }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var port: Int { channel.localAddress!.port! }
    var count: Int { received.withLockedValue { $0 } }

    final class Counter: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<Int>
        init(box: NIOLockedValueBox<Int>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { box.withLockedValue { $0 += 1 } }
    }
}

/// Voice workers as sip-agent-server runs them, reduced to an echo: pop each call event, connect to its mediaUrl,
/// send every media frame straight back.
final class EchoWorkers: Sendable {
    struct Totals { var calls = 0; var received = 0; var echoed = 0 }
    let state = NIOLockedValueBox(Totals())

    var totals: Totals { state.withLockedValue { $0 } }

    func serve(redisURL: String, queue: String) async throws {
        let redis = try await RedisConnection.connect(url: redisURL)
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled {
                guard case .array(let pair?) = try await redis.send(["BRPOP", queue, "1"]), pair.count == 2, let text = pair[1].string,
                      let event = try? JSONReader.parse(Array(text.utf8)), let url = event["mediaUrl"]?.stringValue else { continue }
                group.addTask { try? await self.echo(url) }
            }
        }
    }

    func echo(_ url: String) async throws {
        state.withLockedValue { $0.calls += 1 }
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 20), logger: Logger(label: "echo")) { inbound, outbound, _ in
            // On the bytes: Foundation's String searching costs more than the whole bridge does per frame.
            let media = Array(#"{"event":"media""#.utf8), payload = Array(#""payload":""#.utf8)
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let t) = message else { continue }
                let bytes = Array(t.utf8)
                guard bytes.starts(with: media), let start = bytes.firstRange(of: payload)?.upperBound,
                      let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { continue }
                let b64 = String(decoding: bytes[start..<end], as: UTF8.self)
                try await outbound.write(.text(#"{"event":"media","streamSid":"bench","media":{"payload":"\#(b64)"}}"#))
                self.state.withLockedValue { $0.received += 1; $0.echoed += 1 }
            }
        }
    }
}
