/// One line's registration with its registrar (RFC 3261 §10) as a value: it builds each REGISTER, reads each answer
/// (digest challenges, stale nonces, 423 Min-Expires, our own binding among several, refusals) and says when to
/// try again. The owner sends the requests (through a client transaction) and sleeps the waits it is given.
public struct Registration: Sendable {
    /// What the owner must know to REGISTER one line.
    public struct Line: Sendable, Hashable {
        public var domain: String
        public var username: String
        public var password: String
        /// Expires we ask for, in seconds.
        public var expires: Int
        /// Our Contact URI (`sip:user@host:port`, with `;transport=` when not UDP).
        public var contact: String

        public init(domain: String, username: String, password: String, expires: Int, contact: String) {
            self.domain = domain
            self.username = username
            self.password = password
            self.expires = expires
            self.contact = contact
        }
    }

    public enum State: Sendable, Equatable {
        case idle
        case registering
        /// Registered for this many seconds from the last 2xx.
        case registered(expires: Int)
        /// A failure worth retrying (no answer, 5xx, a broken challenge): retried with backoff.
        case failed(String)
        /// The registrar refused the line (403, 404, credentials refused): retried rarely, a person must act.
        case refused(String)
        case unregistered

        public var label: String {
            switch self {
            case .idle: "idle"
            case .registering: "registering"
            case .registered: "registered"
            case .failed: "failed"
            case .refused: "refused"
            case .unregistered: "unregistered"
            }
        }
    }

    public enum Action: Sendable, Equatable {
        /// Send this REGISTER and feed its final response to `receive` (or call `timedOut`).
        case send(SIPMessage)
        /// Call `start()` again after this long (a refresh before expiry, or a retry).
        case wait(Duration)
        /// The unregistration is over (answered or not): nothing more to do.
        case done
    }

    public let line: Line
    public let callId: String
    public let tag: String
    public private(set) var state: State = .idle
    public private(set) var lastError: String?
    var cseq = 0
    var expires: Int
    var authorization: (name: String, value: String)?
    var answeredChallenge: String?
    var nc = 0
    var rounds = 0
    var failures = 0
    var unregistering = false
    let branch: @Sendable () -> String

    /// How long a refused line waits before trying again (a person must fix the account; we do not hammer).
    public static let refusedRetry: Duration = .seconds(1800)

    /// `branch` makes each request's Via branch (`z9hG4bK…`), injected so tests are deterministic.
    public init(line: Line, callId: String, tag: String, branch: @escaping @Sendable () -> String) {
        self.line = line
        self.callId = callId
        self.tag = tag
        expires = line.expires
        self.branch = branch
    }

    /// `via` is our Via without branch (`SIP/2.0/UDP host:port`).
    func register(via: String) -> SIPMessage {
        var headers: [(String, String)] = [
            ("Via", "\(via);branch=\(branch());rport"), ("Max-Forwards", "70"),
            ("From", "<sip:\(line.username)@\(line.domain)>;tag=\(tag)"), ("To", "<sip:\(line.username)@\(line.domain)>"),
            ("Call-ID", callId), ("CSeq", "\(cseq) REGISTER"), ("Contact", "<\(line.contact)>"), ("Expires", String(unregistering ? 0 : expires)),
        ]
        if let authorization { headers.append((authorization.name, authorization.value)) }
        return SIPMessage(.request(method: "REGISTER", uri: "sip:\(line.domain)"), headers: headers)
    }

    /// A new round: the first REGISTER, or a refresh (sent without credentials: the registrar challenges with a
    /// fresh nonce, never a replayed nonce count).
    public mutating func start(via: String) -> [Action] {
        rounds = 0
        authorization = nil
        answeredChallenge = nil
        unregistering = false
        if case .registered = state {} else { state = .registering }
        cseq += 1
        return [.send(register(via: via))]
    }

    /// Unregister (Expires: 0) — on shutdown, only when registered.
    public mutating func stop(via: String) -> [Action] {
        guard case .registered = state else {
            state = .unregistered
            return [.done]
        }
        unregistering = true
        rounds = 0
        authorization = nil
        answeredChallenge = nil
        cseq += 1
        return [.send(register(via: via))]
    }

    /// The final response to our last REGISTER. `cnonce` is the client nonce for a digest answer (random in the
    /// bridge, fixed in tests).
    public mutating func receive(_ response: SIPMessage, via: String, cnonce: String) -> [Action] {
        let code = response.statusCode ?? 0
        rounds += 1
        switch code {
        case 200..<300:
            if unregistering {
                state = .unregistered
                return [.done]
            }
            // Our own binding's expiry: a registrar lists every binding of the address of record (§10.3). Checked
            // before it becomes a time: 1 s … 7 days.
            let contacts = response.all("Contact").flatMap(SIPHeader.split)
            let mine = Self.comparable(line.contact)
            let binding = contacts.first { Self.comparable(SIPHeader.uri(in: $0)) == mine } ?? (contacts.count == 1 ? contacts.first : nil)
            let said = binding.flatMap { SIPHeader.parameter("expires", in: $0) }.flatMap { Int($0.trimmingSpaces()) }
                ?? response["Expires"].flatMap { Int($0.trimmingSpaces()) } ?? expires
            let granted = min(max(said, 1), 7 * 86_400)
            state = .registered(expires: granted)
            failures = 0
            lastError = nil
            // Refresh before expiry: at 80 %, at least 30 s early when the binding is long enough, never under 5 s.
            return [.wait(.seconds(max(5, min(granted * 4 / 5, granted - 30))))]
        case 401, 407:
            let header = code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate"
            guard let challenge = response[header].flatMap(DigestChallenge.parse), challenge.supported else {
                return fail("the registrar's challenge uses an unsupported algorithm")
            }
            // The same nonce refused again means the password is wrong; a stale nonce (or a new one after a
            // refresh) is answered at once (RFC 2617 §3.2.1).
            if answeredChallenge == challenge.nonce, !challenge.stale { return refuse("credentials refused (\(code))") }
            guard rounds < 4 else { return fail("too many challenges") }
            nc = answeredChallenge == challenge.nonce ? nc + 1 : 1
            answeredChallenge = challenge.nonce
            let value = challenge.authorization(method: "REGISTER", uri: "sip:\(line.domain)", username: line.username, password: line.password,
                                                cnonce: cnonce, nc: nc)
            authorization = (code == 401 ? "Authorization" : "Proxy-Authorization", value)
            cseq += 1
            return [.send(register(via: via))]
        case 423:
            // Interval Too Brief (§10.2.8): ask again at once with Min-Expires.
            guard let min = response["Min-Expires"].flatMap({ Int($0.trimmingSpaces()) }), min > expires, min <= 7 * 86_400, rounds < 4 else {
                return fail("registrar answered 423 without a usable Min-Expires")
            }
            expires = min
            cseq += 1
            return [.send(register(via: via))]
        case 403, 404:
            return refuse(code == 403 ? "forbidden by the registrar (403): check the line's username and password" :
                "unknown to the registrar (404): check the line's username and domain")
        default:
            let retryAfter = response["Retry-After"].flatMap { Int($0.split(separator: ";").first.map { String($0).trimmingSpaces() } ?? "") }
            return fail("registrar answered \(code)", retryAfter: retryAfter)
        }
    }

    /// The registrar cannot be reached at all (its name does not resolve): retried with backoff.
    public mutating func unreachable(_ why: String) -> [Action] { fail(why) }

    /// No final response came (timer F).
    public mutating func timedOut() -> [Action] {
        unregistering ? finishUnregistering() : fail("no answer from the registrar")
    }

    mutating func finishUnregistering() -> [Action] {
        state = .unregistered
        return [.done]
    }

    mutating func fail(_ why: String, retryAfter: Int? = nil) -> [Action] {
        let backoff = min(300, 5 << min(failures, 6))
        return setBack(.failed(why), why, wait: .seconds(retryAfter.map { min(max($0, 1), 3600) } ?? backoff))
    }

    mutating func refuse(_ why: String) -> [Action] { setBack(.refused(why), why, wait: Self.refusedRetry) }

    /// A failed round: the line's state and error, credentials forgotten, the wait before the next round.
    mutating func setBack(_ next: State, _ why: String, wait: Duration) -> [Action] {
        if unregistering { return finishUnregistering() }
        failures += 1
        lastError = why
        state = next
        authorization = nil
        answeredChallenge = nil
        return [.wait(wait)]
    }

    /// A URI compared for "is this binding ours": scheme, user, host and port, lower-cased, without parameters.
    static func comparable(_ uri: String) -> String {
        var u = uri.lowercased()
        if let semi = u.firstIndex(of: ";") { u = String(u[..<semi]) }
        if !u.contains(":5060"), u.split(separator: ":").count == 2 { u += ":5060" }
        return u
    }
}
