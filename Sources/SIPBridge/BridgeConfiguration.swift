import Foundation
import SIPCore

/// A phone line to register and answer for.
public struct SIPLine: Sendable, Hashable {
    public var domain: String
    public var username: String
    public var password: String
    /// Where REGISTER goes (`host:port`); the domain on port 5060 when nil.
    public var registrar: String?
    /// Where outbound INVITEs go (`host:port`); the registrar address, else the domain, when nil.
    public var proxy: String?
    /// Seconds asked for in REGISTER.
    public var expires: Int
    /// Passed to the worker in `customParameters` (e.g. `restaurantId`).
    public var params: [String: String]

    public init(domain: String, username: String, password: String, registrar: String? = nil, proxy: String? = nil, expires: Int = 300, params: [String: String] = [:]) {
        self.proxy = proxy
        self.domain = domain
        self.username = username
        self.password = password
        self.registrar = registrar
        self.expires = expires
        self.params = params
    }

    public var name: String { "\(username)@\(domain)" }
}

/// Everything `alloresto sip-bridge` is told by flags and environment.
public struct BridgeConfiguration: Sendable {
    public var bindHost = "0.0.0.0"
    /// The address put in Via, Contact and SDP (the one the trunk can reach).
    public var advertisedHost = "127.0.0.1"
    public var sipPort = 5060
    public var httpHost = "127.0.0.1"
    public var httpPort = 8088
    /// Base of `mediaUrl` (`ws://host:port`); from the HTTP address when nil.
    public var mediaBaseURL: String?
    public var redisURL = "redis://127.0.0.1:6379"
    public var queueKey = "queue:incoming_calls"
    /// Push mode: the WebSocket (`ws://` or `wss://`) the bridge dials for each answered call, instead of queueing
    /// the call on Redis for a worker to connect to `mediaUrl`.
    public var wsTarget: String?
    public var maxConcurrentCalls = 100
    /// Threads for the RTP sockets and their 20 ms pacers (apart from SIP, HTTP and the WebSockets).
    public var mediaThreads = 2
    /// The longest call; nil: no limit (the original bridge's `--max-call-duration 0`).
    public var maxCallDuration: Duration? = .seconds(3600)
    public var workerTimeout: Duration = .seconds(10)
    /// Time between 180 Ringing and 200 OK (a caller can still CANCEL).
    public var ringTime: Duration = .milliseconds(300)
    /// Send RTP back to where the caller's RTP comes from rather than to the SDP address (NAT).
    public var symmetricRTP = false
    /// No RTP from the far end for this long (while it should be sending) ends the call: a dead trunk. nil: never.
    public var rtpTimeout: Duration? = .seconds(60)
    /// Between our RTCP sender reports (RFC 3550 §6.2: 5 s is the usual minimum).
    public var rtcpInterval: Duration = .seconds(5)
    public var lines: [SIPLine] = []
    /// Answer incoming calls (the original's default); false (`--no-auto-answer`): they ring until the caller gives up.
    public var autoAnswer = true
    /// Where every call's status changes go (`--status-callback-url`; a call's own `callbackUrl` replaces it), how
    /// (`--callback-method` POST with a JSON body, or GET with the fields as query parameters) and how long we wait.
    public var statusCallbackURL: String?
    /// Asked before an incoming call is answered (`--incoming-callback-url`): accept (with overrides), reject, ignore.
    public var incomingCallbackURL: String?
    /// Sent as `Authorization: Bearer` to the incoming-call hook: AlloResto's service token when the hook is
    /// AlloResto's own `POST /api/sip/incoming` (set by `--alloresto-url`).
    public var incomingCallbackToken: String?
    public var callbackMethod = "POST"
    public var callbackTimeout: Duration = .seconds(5)
    /// Gains in dB on the audio received from the caller (`--rx-gain`) and sent to it (`--tx-gain`); 0: bit-exact.
    public var rxGainDB = 0.0
    public var txGainDB = 0.0
    /// How we reach registrars and proxies, and what Via and Contact say (`--sip-transport`): UDP, TCP or TLS. We
    /// always listen on UDP and TCP; TLS is a connection we open (trunks send their calls down it).
    public var sipTransport: SIPTransportKind = .udp
    /// A CA certificate (PEM) to trust for TLS instead of the system's store (`--sip-tls-ca`).
    public var tlsCAFile: String?
    /// The DNS server for RFC 3263 lookups (`host[:port]`); the first of /etc/resolv.conf when nil.
    public var dnsServer: String?
    public var userAgent = "AlloResto-SIPBridge/1.0"

    public init() {}

    public var mediaBase: String { mediaBaseURL ?? "ws://\(httpHost == "0.0.0.0" ? advertisedHost : httpHost):\(httpPort)" }
}
