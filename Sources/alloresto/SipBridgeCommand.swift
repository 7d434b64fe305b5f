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
    @Option(help: "Send REGISTER to host:port (or a domain looked up by NAPTR/SRV) instead of the SIP domain.") var sipRegistrar: String?
    @Option(help: "Send outbound INVITEs to host:port (default: the registrar address, else the domain).") var sipProxy: String?
    @Option(help: "Registration lifetime asked for, in seconds.") var sipExpires: Int?
    @Option(help: "The original bridge's name for --sip-expires.") var sipRegTimeout: Int?
    @Option(help: "key=value passed to the worker in customParameters (e.g. restaurantId=…); repeatable.") var param: [String] = []
    @Option(help: "Fetch the lines from AlloResto's GET /api/sip/agents (with ALLORESTO_SERVICE_TOKEN); AlloResto then also answers the incoming-call hook (blocked numbers, routing by dialed number) unless --incoming-callback-url is given.") var allorestoURL: String?
    @Option(help: "UDP and TCP port for SIP (env SIP_PORT; 0: any free port; default 5060).") var sipPort: Int?
    @Option(help: "Address to bind.") var bind = "0.0.0.0"
    @Option(help: "Address written in Via, Contact and SDP (the one the trunk reaches).") var advertisedHost = "127.0.0.1"
    @Option(help: "HTTP port of /health, /api/lines, /api/calls and the media WebSocket (default 8088).") var httpPort: Int?
    @Option(help: "The original bridge's name for --http-port (env BRIDGE_API_PORT).") var apiPort: Int?
    @Option(help: "HTTP address.") var httpHost = "127.0.0.1"
    @Option(help: "Base of mediaUrl (ws://host:port); from the HTTP address by default.") var mediaBaseURL: String?
    @Option(help: "Redis URL (env REDIS_URL).") var redisURL: String?
    @Option(help: "Redis list the call events are pushed on.") var queueKey = "queue:incoming_calls"
    @Option(help: "Push mode: dial this WebSocket (ws:// or wss://) for each answered call instead of queueing it on Redis (env WS_TARGET).") var wsTarget: String?
    @Option(help: "Calls answered at once; more get 486 Busy Here (env MAX_CONCURRENT_CALLS; default 100).") var maxConcurrentCalls: Int?
    @Option(help: "Threads for RTP and its 20 ms pacing (apart from SIP, HTTP and the media WebSockets).") var mediaThreads = 2
    @Option(help: "Longest call, in seconds; 0: no limit (env MAX_CALL_DURATION; default 3600).") var maxCallDuration: Int?
    @Option(help: "Seconds a call waits for a worker before the busy message.") var workerTimeout = 10.0
    @Option(help: "Milliseconds of ringing before the answer.") var ringMs = 300
    @Flag(help: "Send RTP back where the caller's RTP comes from (behind NAT).") var symmetricRTP = false
    @Option(help: "Transport to the registrar and proxy: udp, tcp or tls (env SIP_TRANSPORT). UDP and TCP are always listened on.") var sipTransport: String?
    @Option(help: "CA certificate (PEM) to trust for --sip-transport tls instead of the system's store.") var sipTlsCa: String?
    @Option(help: "DNS server (host[:port]) for finding registrars and proxies by NAPTR/SRV (RFC 3263); default: /etc/resolv.conf.") var dnsServer: String?
    @Option(help: "Seconds without RTP from the far end (while it should send) before the call is ended; 0: never.") var rtpTimeout = 60
    @Flag(help: "Do not answer incoming calls: they ring until the caller gives up (as the original bridge).") var noAutoAnswer = false
    // `.unconditional`: `--tx-gain -3` as with the original's argparse (the value may start with a minus).
    @Option(parsing: .unconditional, help: "Gain in dB on the caller's audio before the worker gets it (−40 … 40; 0 leaves it bit-exact).") var rxGain = 0.0
    @Option(parsing: .unconditional, help: "Gain in dB on the worker's audio before the caller hears it (−40 … 40; 0 leaves it bit-exact).") var txGain = 0.0
    @Option(help: "Where every call's status changes go (env STATUS_CALLBACK_URL); a call's own callbackUrl replaces it.") var statusCallbackUrl: String?
    @Option(help: "Called before an incoming call is answered (env INCOMING_CALLBACK_URL).") var incomingCallbackUrl: String?
    @Option(help: "POST (JSON body) or GET (query parameters) for the callbacks.") var callbackMethod = "POST"
    @Option(help: "Seconds a callback may take (0.1 … 60).") var callbackTimeout = 5.0
    // The original bridge's PJSIP options: accepted, and one start-up line says why they change nothing here.
    @Option(help: "Accepted for compatibility: no ICE/STUN here (the bridge answers from --advertised-host).") var stunServer: String?
    @Option(help: "Accepted for compatibility: no TURN here.") var turnServer: String?
    @Option(help: "Accepted for compatibility: no TURN here.") var turnUsername: String?
    @Option(help: "Accepted for compatibility: no TURN here.") var turnPassword: String?
    @Flag(help: "Accepted for compatibility: ICE is never used here.") var noIce = false
    @Flag(help: "Accepted for compatibility: there is no echo canceller (audio passes bit-exact).") var noEc = false
    @Option(help: "Accepted for compatibility: there is no echo canceller.") var ecTailMs: Int?
    @Flag(help: "Accepted for compatibility: voice activity is detected by the voice server, not here.") var vad = false

    /// Every numeric option inside its domain before anything is built (durations become NIO time amounts in
    /// nanoseconds, which overflow and trap far below `Int.max` seconds).
    func validate() throws {
        let ranges: [(String, Int?, ClosedRange<Int>)] = [
            ("--sip-expires", sipExpires, 1...86_400), ("--sip-reg-timeout", sipRegTimeout, 1...86_400), ("--sip-port", sipPort, 0...65_535),
            ("--http-port", httpPort, 0...65_535), ("--api-port", apiPort, 0...65_535), ("--max-concurrent-calls", maxConcurrentCalls, 1...100_000),
            ("--media-threads", mediaThreads, 1...64), ("--max-call-duration", maxCallDuration, 0...86_400), ("--ring-ms", ringMs, 0...60_000),
            ("--rtp-timeout", rtpTimeout, 0...86_400), ("--ec-tail-ms", ecTailMs, 0...10_000),
        ]
        for (name, value, range) in ranges {
            if let value, !range.contains(value) { throw ValidationError("\(name): between \(range.lowerBound) and \(range.upperBound), got \(value)") }
        }
        guard CheckedNumber.bounded(workerTimeout, in: 0.1...3600) != nil else { throw ValidationError("--worker-timeout: a number of seconds between 0.1 and 3600") }
        guard CheckedNumber.bounded(callbackTimeout, in: 0.1...60) != nil else { throw ValidationError("--callback-timeout: a number of seconds between 0.1 and 60") }
        for (name, gain) in [("--rx-gain", rxGain), ("--tx-gain", txGain)] where CheckedNumber.bounded(gain, in: -40...40) == nil {
            throw ValidationError("\(name): a number of dB between -40 and 40")
        }
        guard ["POST", "GET"].contains(callbackMethod.uppercased()) else { throw ValidationError("--callback-method: POST or GET") }
    }

    /// An integer from the environment, inside its domain; a bad value is a start-up error naming the variable.
    static func environmentInt(_ name: String, _ env: [String: String], in range: ClosedRange<Int>) throws -> Int? {
        guard let text = env[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ValidationError("\(name): an integer between \(range.lowerBound) and \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// The original bridge's options this stack has no use for, and why (one start-up line, nothing silently dropped).
    func ignoredOptions(_ env: [String: String]) -> [String] {
        var out: [String] = []
        if stunServer ?? env["STUN_SERVER"] != nil || noIce { out.append("--stun-server/--no-ice (no ICE: media goes to the SDP or symmetric RTP address)") }
        if turnServer ?? env["TURN_SERVER"] != nil || turnUsername ?? env["TURN_USERNAME"] != nil || turnPassword ?? env["TURN_PASSWORD"] != nil {
            out.append("--turn-* (no TURN relay)")
        }
        if noEc || ecTailMs != nil { out.append("--no-ec/--ec-tail-ms (no echo canceller: audio passes bit-exact)") }
        if vad { out.append("--vad (the voice server detects speech)") }
        return out
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var config = BridgeConfiguration()
        let sipPort = try self.sipPort ?? Self.environmentInt("SIP_PORT", env, in: 0...65_535) ?? 5060
        config.sipPort = sipPort
        config.bindHost = bind
        config.advertisedHost = advertisedHost
        config.httpHost = httpHost
        let httpPort = try self.httpPort ?? apiPort ?? Self.environmentInt("BRIDGE_API_PORT", env, in: 0...65_535) ?? 8088
        config.httpPort = httpPort
        config.autoAnswer = !noAutoAnswer
        config.rxGainDB = rxGain
        config.txGainDB = txGain
        config.callbackMethod = callbackMethod.uppercased()
        config.callbackTimeout = .milliseconds(CheckedNumber.clamped(callbackTimeout * 1000, to: 100...60_000))
        for (name, url) in [("--status-callback-url", statusCallbackUrl ?? env["STATUS_CALLBACK_URL"]), ("--incoming-callback-url", incomingCallbackUrl ?? env["INCOMING_CALLBACK_URL"])] {
            if let url, !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) { throw ValidationError("\(name): an http(s) URL") }
        }
        config.statusCallbackURL = (statusCallbackUrl ?? env["STATUS_CALLBACK_URL"]).flatMap { $0.isEmpty ? nil : $0 }
        config.incomingCallbackURL = (incomingCallbackUrl ?? env["INCOMING_CALLBACK_URL"]).flatMap { $0.isEmpty ? nil : $0 }
        config.mediaBaseURL = mediaBaseURL
        config.redisURL = redisURL ?? env["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        config.queueKey = queueKey
        if let wsTarget = wsTarget ?? env["WS_TARGET"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard wsTarget.hasPrefix("ws://") || wsTarget.hasPrefix("wss://") else { throw ValidationError("--ws-target: a ws:// or wss:// URL") }
            config.wsTarget = wsTarget
        }
        config.maxConcurrentCalls = try maxConcurrentCalls ?? Self.environmentInt("MAX_CONCURRENT_CALLS", env, in: 1...100_000) ?? 100
        config.mediaThreads = mediaThreads
        let longest = try maxCallDuration ?? Self.environmentInt("MAX_CALL_DURATION", env, in: 0...86_400) ?? 3600
        config.maxCallDuration = longest == 0 ? nil : .seconds(longest)
        let expires = sipExpires ?? sipRegTimeout ?? 300
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
        // start-sipbridge.sh passes RESTAURANT_ID as --param restaurantId=….
        if params["restaurantId"] == nil, let restaurant = env["RESTAURANT_ID"], !restaurant.isEmpty { params["restaurantId"] = restaurant }
        if let user = sipUsername ?? env["SIP_USERNAME"], !user.isEmpty {
            config.lines.append(SIPLine(domain: sipDomain ?? env["SIP_DOMAIN"] ?? "sip.twilio.com", username: user, password: sipPassword ?? env["SIP_PASSWORD"] ?? "",
                                        registrar: sipRegistrar, proxy: sipProxy, expires: expires, params: params))
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
            // AlloResto answers the incoming-call hook too (blocked numbers, routing by dialed number), unless one
            // was given.
            if config.incomingCallbackURL == nil {
                config.incomingCallbackURL = url + "/api/sip/incoming"
                config.incomingCallbackToken = token
            }
            for a in list {
                guard let domain = a["sip"]?["domain"]?.stringValue, let user = a["sip"]?["username"]?.stringValue else { continue }
                var p = params
                p["restaurantId"] = a["restaurantId"]?.stringValue
                config.lines.append(SIPLine(domain: domain, username: user, password: a["sip"]?["password"]?.stringValue ?? "", registrar: sipRegistrar, proxy: sipProxy, expires: expires, params: p))
            }
        }
        var logger = Logger(label: "alloresto.sip-bridge")
        logger.logLevel = env["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let bridge = SIPBridgeService(config: config, logger: logger)
        do { try await bridge.start() } catch { throw fail("cannot start SIP on \(bind):\(sipPort) (\(kind.rawValue)): \(error)") }
        let ignored = ignoredOptions(env)
        if !ignored.isEmpty { say("Ignored, not applicable to this bridge: " + ignored.joined(separator: "; ")) }
        if noAutoAnswer { say("--no-auto-answer: incoming calls ring and are not answered") }
        let app = await BridgeServer.application(bridge: bridge, logger: logger)
        say("SIP bridge: UDP+TCP \(bind):\(await bridge.localPort) (to registrars: \(kind.rawValue)), HTTP http://\(httpHost):\(httpPort) (health, lines, calls, media WebSocket), \(config.lines.count) line(s), " + (config.wsTarget.map { "push to \($0)" } ?? "Redis \(config.redisURL) → \(queueKey)"))
        do { try await app.runService() } catch { await bridge.stop(); throw fail("bridge HTTP: \(error)") }
        await bridge.stop()
    }
}
