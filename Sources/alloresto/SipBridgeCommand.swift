import AlloRestoCore
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import SIPBridge
import SIPCore

/// `alloresto sip-bridge`: registers the lines, answers calls and hands them to the voice workers via Redis.
struct SipBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sip-bridge",
        abstract: "SIP user agent: registers lines, answers calls, queues them on Redis for the voice workers, serves their media WebSocket.")

    @Option(help: "Registrar domain of the line (env SIP_DOMAIN).") var sipDomain: String?
    @Option(help: "Line username (env SIP_USERNAME).") var sipUsername: String?
    @Option(help: "Line password (env SIP_PASSWORD).") var sipPassword: String?
    @Option(help: "Send REGISTER to host:port instead of the domain on 5060.") var sipRegistrar: String?
    @Option(help: "Send outbound INVITEs to host:port (default: the registrar address, else the domain).") var sipProxy: String?
    @Option(help: "Registration lifetime asked for, in seconds.") var sipExpires = 300
    @Option(help: "key=value passed to the worker in customParameters (e.g. restaurantId=…); repeatable.") var param: [String] = []
    @Option(help: "Fetch the lines from AlloResto's GET /api/sip/agents (with ALLORESTO_SERVICE_TOKEN).") var allorestoURL: String?
    @Option(help: "UDP port for SIP.") var sipPort = 5060
    @Option(help: "Address to bind.") var bind = "0.0.0.0"
    @Option(help: "Address written in Via, Contact and SDP (the one the trunk reaches).") var advertisedHost = "127.0.0.1"
    @Option(help: "HTTP port of /health, /api/lines, /api/calls and the media WebSocket.") var httpPort = 8088
    @Option(help: "HTTP address.") var httpHost = "127.0.0.1"
    @Option(help: "Base of mediaUrl (ws://host:port); from the HTTP address by default.") var mediaBaseURL: String?
    @Option(help: "Redis URL (env REDIS_URL).") var redisURL: String?
    @Option(help: "Redis list the call events are pushed on.") var queueKey = "queue:incoming_calls"
    @Option(help: "Push mode: dial this WebSocket (ws:// or wss://) for each answered call instead of queueing it on Redis.") var wsTarget: String?
    @Option(help: "Calls answered at once; more get 486 Busy Here.") var maxConcurrentCalls = 100
    @Option(help: "Threads for RTP and its 20 ms pacing (apart from SIP, HTTP and the media WebSockets).") var mediaThreads = 2
    @Option(help: "Longest call, in seconds.") var maxCallDuration = 3600
    @Option(help: "Seconds a call waits for a worker before the busy message.") var workerTimeout = 10.0
    @Option(help: "Milliseconds of ringing before the answer.") var ringMs = 300
    @Flag(help: "Send RTP back where the caller's RTP comes from (behind NAT).") var symmetricRTP = false
    @Option(help: "Transport to the registrar and proxy: udp, tcp or tls (env SIP_TRANSPORT). UDP and TCP are always listened on.") var sipTransport: String?
    @Option(help: "CA certificate (PEM) to trust for --sip-transport tls instead of the system's store.") var sipTlsCa: String?
    @Option(help: "DNS server (host[:port]) for finding registrars and proxies by NAPTR/SRV (RFC 3263); default: /etc/resolv.conf.") var dnsServer: String?
    @Option(help: "Seconds without RTP from the far end (while it should send) before the call is ended; 0: never.") var rtpTimeout = 60

    /// Every numeric option inside its domain before anything is built (durations become NIO time amounts in
    /// nanoseconds, which overflow and trap far below `Int.max` seconds).
    func validate() throws {
        let ranges: [(String, Int, ClosedRange<Int>)] = [
            ("--sip-expires", sipExpires, 1...86_400), ("--sip-port", sipPort, 0...65_535), ("--http-port", httpPort, 0...65_535),
            ("--max-concurrent-calls", maxConcurrentCalls, 1...100_000), ("--media-threads", mediaThreads, 1...64),
            ("--max-call-duration", maxCallDuration, 1...86_400), ("--ring-ms", ringMs, 0...60_000), ("--rtp-timeout", rtpTimeout, 0...86_400),
        ]
        for (name, value, range) in ranges where !range.contains(value) {
            throw ValidationError("\(name): between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        guard CheckedNumber.bounded(workerTimeout, in: 0.1...3600) != nil else { throw ValidationError("--worker-timeout: a number of seconds between 0.1 and 3600") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var config = BridgeConfiguration()
        config.sipPort = sipPort
        config.bindHost = bind
        config.advertisedHost = advertisedHost
        config.httpHost = httpHost
        config.httpPort = httpPort
        config.mediaBaseURL = mediaBaseURL
        config.redisURL = redisURL ?? env["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        config.queueKey = queueKey
        if let wsTarget {
            guard wsTarget.hasPrefix("ws://") || wsTarget.hasPrefix("wss://") else { throw ValidationError("--ws-target: a ws:// or wss:// URL") }
            config.wsTarget = wsTarget
        }
        config.maxConcurrentCalls = maxConcurrentCalls
        config.mediaThreads = mediaThreads
        config.maxCallDuration = .seconds(maxCallDuration)
        config.workerTimeout = .milliseconds(CheckedNumber.clamped(workerTimeout * 1000, to: 100...3_600_000))
        config.ringTime = .milliseconds(ringMs)
        config.symmetricRTP = symmetricRTP
        config.rtpTimeout = rtpTimeout == 0 ? nil : .seconds(rtpTimeout)
        let transport = (sipTransport ?? env["SIP_TRANSPORT"] ?? "udp").lowercased()
        guard let kind = SIPTransportKind(rawValue: transport) else { throw ValidationError("--sip-transport: udp, tcp or tls, got \"\(transport)\"") }
        config.sipTransport = kind
        if let sipTlsCa {
            guard FileManager.default.isReadableFile(atPath: sipTlsCa) else { throw fail("--sip-tls-ca: cannot read \(sipTlsCa)") }
            config.tlsCAFile = sipTlsCa
        }
        config.dnsServer = dnsServer
        var params: [String: String] = [:]
        for p in param {
            let kv = p.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw fail("--param: expected key=value, got \"\(p)\"") }
            params[String(kv[0])] = String(kv[1])
        }
        if let user = sipUsername ?? env["SIP_USERNAME"], !user.isEmpty {
            config.lines.append(SIPLine(domain: sipDomain ?? env["SIP_DOMAIN"] ?? "sip.twilio.com", username: user, password: sipPassword ?? env["SIP_PASSWORD"] ?? "",
                                        registrar: sipRegistrar, proxy: sipProxy, expires: sipExpires, params: params))
        }
        if let url = allorestoURL {
            guard let token = env["ALLORESTO_SERVICE_TOKEN"] else { throw fail("--alloresto-url needs ALLORESTO_SERVICE_TOKEN") }
            var request = HTTPClientRequest(url: url + "/api/sip/agents")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 4 << 20)
            guard response.status == .ok, let list = (try? JSONReader.parse(Array(buffer: body)))?["agents"]?.arrayValue else {
                throw fail("GET \(url)/api/sip/agents answered \(response.status.code)")
            }
            for a in list {
                guard let domain = a["sip"]?["domain"]?.stringValue, let user = a["sip"]?["username"]?.stringValue else { continue }
                var p = params
                p["restaurantId"] = a["restaurantId"]?.stringValue
                config.lines.append(SIPLine(domain: domain, username: user, password: a["sip"]?["password"]?.stringValue ?? "", registrar: sipRegistrar, proxy: sipProxy, expires: sipExpires, params: p))
            }
        }
        var logger = Logger(label: "alloresto.sip-bridge")
        logger.logLevel = env["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let bridge = SIPBridgeService(config: config, logger: logger)
        do { try await bridge.start() } catch { throw fail("cannot start SIP on \(bind):\(sipPort) (\(kind.rawValue)): \(error)") }
        let app = await BridgeServer.application(bridge: bridge, logger: logger)
        say("SIP bridge: UDP+TCP \(bind):\(await bridge.localPort) (to registrars: \(kind.rawValue)), HTTP http://\(httpHost):\(httpPort) (health, lines, calls, media WebSocket), \(config.lines.count) line(s), " + (config.wsTarget.map { "push to \($0)" } ?? "Redis \(config.redisURL) → \(queueKey)"))
        do { try await app.runService() } catch { await bridge.stop(); throw fail("bridge HTTP: \(error)") }
        await bridge.stop()
    }
}
