/// A SIP dialog (RFC 3261 §12): the peer-to-peer relationship an INVITE creates, with what every in-dialog request
/// needs — Call-ID, tags, the local and remote URIs, CSeq numbers, the remote target and the route set.
public struct Dialog: Sendable, Hashable {
    public let callId: String
    public let localTag: String
    public private(set) var remoteTag: String?
    /// The From (UAC) / To (UAS) name-addr of our side, without tag.
    public let localURI: String
    public let remoteURI: String
    /// Our next CSeq number is `localSequence + 1`.
    public private(set) var localSequence: Int
    /// The highest CSeq number the peer used; nil until its first request.
    public private(set) var remoteSequence: Int?
    /// Where in-dialog requests go: the peer's Contact URI, refreshed by target-refresh requests (re-INVITE, UPDATE).
    public private(set) var remoteTarget: String
    /// Record-Route values: in order for the UAS, reversed for the UAC (§12.1.1, §12.1.2). Fixed for the dialog.
    public let routeSet: [String]

    /// The dialog a UAS creates by answering `request` (§12.1.1).
    public init(uas request: SIPMessage, localTag: String, localSequence: Int = 0) {
        callId = request.callId ?? ""
        self.localTag = localTag
        remoteTag = request["From"].flatMap { SIPHeader.parameter("tag", in: $0) }
        localURI = Self.withoutTag(request["To"] ?? "")
        remoteURI = Self.withoutTag(request["From"] ?? "")
        self.localSequence = localSequence
        remoteSequence = request.cseq?.number
        remoteTarget = request["Contact"].flatMap { SIPHeader.split($0).first }.map { SIPHeader.uri(in: $0) } ?? SIPHeader.uri(in: request["From"] ?? "")
        routeSet = request.all("Record-Route").flatMap(SIPHeader.split)
    }

    /// The dialog a UAC gets from a response to its `request` that carries a To tag (§12.1.2).
    public init(uac request: SIPMessage, response: SIPMessage) {
        callId = request.callId ?? ""
        localTag = request["From"].flatMap { SIPHeader.parameter("tag", in: $0) } ?? ""
        remoteTag = response["To"].flatMap { SIPHeader.parameter("tag", in: $0) }
        localURI = Self.withoutTag(request["From"] ?? "")
        remoteURI = Self.withoutTag(request["To"] ?? "")
        localSequence = request.cseq?.number ?? 1
        remoteSequence = nil
        remoteTarget = response["Contact"].flatMap { SIPHeader.split($0).first }.map { SIPHeader.uri(in: $0) } ?? request.uri ?? ""
        routeSet = response.all("Record-Route").flatMap(SIPHeader.split).reversed()
    }

    static func withoutTag(_ nameAddr: String) -> String {
        guard let range = nameAddr.range(of: ";tag=", options: .caseInsensitive) else { return nameAddr }
        var end = range.upperBound
        while end < nameAddr.endIndex, nameAddr[end] != ";" { end = nameAddr.index(after: end) }
        return String(nameAddr[..<range.lowerBound] + nameAddr[end...])
    }

    /// What to do with a request the peer sent in this dialog (§12.2.2).
    public enum Incoming: Sendable, Equatable {
        case accept
        /// A retransmission or a request older than the last one: the transaction layer deals with retransmissions;
        /// an out-of-order new request gets 500 (§12.2.2).
        case outOfOrder
    }

    /// Checks the CSeq of a new request from the peer and takes its Contact as the remote target when it is a
    /// target refresh (re-INVITE, UPDATE: §12.2.2, RFC 3311 §5.2). ACK and CANCEL carry the INVITE's number.
    public mutating func receive(_ request: SIPMessage) -> Incoming {
        guard let method = request.method, let number = request.cseq?.number else { return .outOfOrder }
        if method != "ACK", method != "CANCEL" {
            if let last = remoteSequence, number <= last { return .outOfOrder }
            remoteSequence = number
        }
        if method == "INVITE" || method == "UPDATE", let contact = request["Contact"].flatMap({ SIPHeader.split($0).first }) {
            remoteTarget = SIPHeader.uri(in: contact)
        }
        return .accept
    }

    /// The 2xx of a target refresh we sent updates the remote target (§12.2.1.2).
    public mutating func refreshed(by response: SIPMessage) {
        if let contact = response["Contact"].flatMap({ SIPHeader.split($0).first }) { remoteTarget = SIPHeader.uri(in: contact) }
    }

    /// Where the next request of this dialog goes first (§12.2.1.1): the first route (loose or strict), else the
    /// remote target.
    public var nextHop: String { routeSet.first.map { SIPHeader.uri(in: $0) } ?? remoteTarget }

    /// A new request in the dialog (§12.2.1.1): the next CSeq (ACK and CANCEL reuse the INVITE's, pass `cseq`),
    /// the remote target as Request-URI with the route set as Route headers (loose routing), or — when the first
    /// route is a strict router (no `;lr`) — that router as Request-URI and the remote target as the last route.
    /// `nextHop` is the URI the request is sent to: the first Route, or the Request-URI when there is none.
    public mutating func request(_ method: String, via: String, cseq: Int? = nil, extra: [(String, String)] = [], body: [UInt8] = [])
        -> (message: SIPMessage, nextHop: String)
    {
        let number: Int
        if let cseq {
            number = cseq
        } else {
            localSequence += 1
            number = localSequence
        }
        var uri = remoteTarget
        var routes = routeSet
        var strict = false
        if let first = routes.first, !SIPHeader.uri(in: first).lowercased().contains(";lr") {
            strict = true
            uri = SIPHeader.uri(in: first)
            routes = Array(routes.dropFirst()) + ["<\(remoteTarget)>"]
        }
        var headers: [(String, String)] = [
            ("Via", via), ("Max-Forwards", "70"),
            ("From", "\(localURI);tag=\(localTag)"), ("To", remoteTag.map { "\(remoteURI);tag=\($0)" } ?? remoteURI),
            ("Call-ID", callId), ("CSeq", "\(number) \(method)"),
        ]
        headers += routes.map { ("Route", $0) }
        headers += extra
        let nextHop = strict ? uri : routes.first.map { SIPHeader.uri(in: $0) } ?? uri
        return (SIPMessage(.request(method: method, uri: uri), headers: headers, body: body), nextHop)
    }
}
