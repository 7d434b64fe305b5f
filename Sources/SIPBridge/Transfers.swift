import Foundation
import NIOCore
import SIPCore

/// Call transfer (`POST /api/calls/{sid}/transfer`, the `transfer_call` tool of sip-agent-server): a blind
/// transfer by REFER (RFC 3515, with `Referred-By`), followed through the NOTIFYs of its subscription; when the
/// far end will not do it (REFER refused — 405, 501, 603… —, unanswered, or a NOTIFY reporting a failure) a
/// **bridged transfer**: the bridge calls the target itself and joins the two calls' audio, packet by packet.
/// The worker gets `stop` once the caller is with the target; the call is reported `transferred`.
extension SIPBridgeService {
    /// A transfer as the call record shows it (`transfer` in `GET /api/calls` and `/api/calls/history`).
    public struct TransferInfo: Sendable, Codable, Equatable {
        /// The target as asked for, made a URI (`sip:N@<domain>` for a bare number, as the original).
        public var destination: String
        /// `refer`, then `bridged` if REFER did not do it.
        public var method: String
        /// `trying`, `transferred` or `failed`.
        public var state: String
        /// Why REFER gave way to a bridged transfer, or why the transfer failed.
        public var reason: String?
        /// A bridged transfer: the bridge's call to the target.
        public var targetSid: String?
    }

    /// Why a transfer cannot start (the REST side maps these to the original's 404 and 400).
    public enum TransferRefusal: Error, Equatable {
        case unknownCall
        case notActive(status: String)
        case badDestination
        case alreadyTransferring
    }

    /// How long a REFER accepted by the far end may go without a final NOTIFY before the bridge takes over.
    static let referDeadline: Duration = .seconds(60)

    /// Starts a blind transfer of an answered call and returns the target URI at once; the outcome is in the call
    /// record and its status callbacks. A bare number (or a `tel:` URI) becomes `sip:N@<domain of the call's line>`.
    public func transfer(sid: String, to destination: String) throws -> String {
        guard let call = bySid[sid], call.state != .ended else { throw TransferRefusal.unknownCall }
        guard call.state == .answered else { throw TransferRefusal.notActive(status: status(of: call)) }
        guard call.transferOf == nil, call.transfer == nil || call.transfer?.state == "failed" else { throw TransferRefusal.alreadyTransferring }
        let target = destination.trimmingCharacters(in: .whitespaces)
        guard !target.isEmpty, target.count <= 256,
              target.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"<>\"".unicodeScalars.contains($0) })
        else { throw TransferRefusal.badDestination }
        let domain = call.domain ?? lines.first?.config.domain ?? config.advertisedHost
        let lower = target.lowercased()
        // The scheme in lower case (`SIP:100@pbx` is `sip:100@pbx`); a bare number goes to the line's domain.
        let scheme = ["sip:", "sips:", "tel:"].first { lower.hasPrefix($0) }
        let uri = scheme.map { $0 + target.dropFirst($0.count) } ?? "sip:\(target)@\(domain)"
        call.transfer = TransferInfo(destination: uri, method: "refer", state: "trying")
        logger.info("transfer by REFER", metadata: ["call": "\(call.sid)", "to": "\(uri)"])
        sendRefer(call, to: uri)
        return uri
    }

    /// REFER in the dialog (RFC 3515 §2.4): `Refer-To` the target, `Referred-By` our line, our Contact.
    func sendRefer(_ call: Call, to uri: String) {
        guard var dialog = call.dialog else {
            bridgeTransfer(call, reason: "no dialog to send REFER in")
            return
        }
        let hop = peer(for: call, hop: dialog.nextHop)
        let user = lines.first { $0.config.domain == call.domain }?.config.username ?? lines.first?.config.username ?? "bridge"
        let (refer, _) = dialog.request("REFER", via: "\(via(to: hop));branch=\(Self.branch());rport", extra: [
            ("Refer-To", "<\(uri)>"), ("Referred-By", "<sip:\(user)@\(call.domain ?? config.advertisedHost)>"), contact(call),
            ("User-Agent", config.userAgent),
        ])
        call.dialog = dialog
        call.referMachine = BlindTransfer()
        call.referSequence = refer.cseq?.number
        Task {
            let reply = await self.request(refer, to: hop)
            self.referAnswered(call, code: reply?.statusCode)
        }
        call.referDeadline?.cancel()
        call.referDeadline = Task { [weak self] in
            try? await Task.sleep(for: Self.referDeadline)
            if Task.isCancelled { return }
            await self?.referTimedOut(call)
        }
    }

    func referAnswered(_ call: Call, code: Int?) {
        guard call.state == .answered, var machine = call.referMachine else { return }
        let action = code.map { machine.referAnswered($0) } ?? machine.timedOut()
        call.referMachine = machine
        perform(action, transferOf: call)
    }

    func referTimedOut(_ call: Call) {
        guard call.state == .answered, var machine = call.referMachine else { return }
        let action = machine.timedOut()
        call.referMachine = machine
        perform(action, transferOf: call)
    }

    func perform(_ action: BlindTransfer.Action, transferOf call: Call) {
        if action != .none {
            // The REFER's outcome is known: its deadline no longer applies (a later transfer has its own).
            call.referDeadline?.cancel()
            call.referDeadline = nil
        }
        switch action {
        case .none:
            break
        case .fail(let reason):
            transferFailed(call, reason: reason)
        case .hangUp:
            // The caller is with the target: we leave the call (RFC 5589 §6).
            call.transfer?.state = "transferred"
            call.endReason = "transferred"
            logger.info("transferred by REFER", metadata: ["call": "\(call.sid)"])
            hangUp(call, reason: "transferred")
        case .bridge(let reason):
            logger.info("REFER did not transfer the call: bridged transfer", metadata: ["call": "\(call.sid)", "why": "\(reason)"])
            bridgeTransfer(call, reason: reason)
        }
    }

    /// NOTIFY in a dialog: the progress of our REFER (`Event: refer`, a `message/sipfrag` body). Anything else
    /// is 489 Bad Event (RFC 6665 §4.2.2: we subscribed to nothing else); outside a dialog, or for a REFER that is
    /// not the one under way (none, finished, or another `id` than its CSeq: RFC 3515 §2.4.6), 481.
    func notify(_ message: SIPMessage, from address: SocketAddress) {
        guard let call = inDialog(message), call.state != .ended else {
            reply(message, 481, "Call/Transaction Does Not Exist", to: address)
            return
        }
        if call.dialog?.receive(message) == .outOfOrder {
            reply(message, 500, "Server Internal Error", extra: [("Retry-After", "1")], to: address)
            return
        }
        guard let progress = ReferProgress.parse(message) else {
            let isRefer = message["Event"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "refer"
            if isRefer { reply(message, 400, "Bad Request", extra: [("Warning", "399 alloresto \"a message/sipfrag status line\"")], to: address) } else {
                reply(message, 489, "Bad Event", extra: [("Allow-Events", "refer")], to: address)
            }
            return
        }
        let id = message["Event"].flatMap { SIPHeader.parameter("id", in: $0) }
        guard var machine = call.referMachine, machine.isOpen, id == nil || id == call.referSequence.map(String.init) else {
            reply(message, 481, "Subscription Does Not Exist", to: address)
            return
        }
        reply(message, 200, "OK", to: address)
        let action = machine.notified(progress)
        call.referMachine = machine
        perform(action, transferOf: call)
    }

    /// The bridge calls the target itself (from the call's line, 30 s of ringing) and, once it answers, joins the
    /// two calls' audio; the caller keeps the worker meanwhile.
    func bridgeTransfer(_ call: Call, reason: String) {
        guard call.state == .answered, var transfer = call.transfer else { return }
        transfer.method = "bridged"
        transfer.state = "trying"
        transfer.reason = reason
        call.transfer = transfer
        var target = transfer.destination
        if target.lowercased().hasPrefix("tel:") {
            target = String(target.dropFirst(4).prefix { $0 != ";" })  // a number: through the line's proxy
        }
        var request = DialRequest(to: target, line: lines.first { $0.config.domain == call.domain }?.config.username,
                                  params: ["transferOf": call.sid], ringTimeout: .seconds(30))
        request.transferOf = call.sid
        Task {
            do {
                let leg = try await self.dial(request)
                call.transfer?.targetSid = leg.sid
            } catch {
                self.transferFailed(call, reason: "\(error)")
            }
        }
    }

    /// The target answered a bridged transfer: each call hears the other; the worker is let go.
    func join(_ call: Call, with leg: Call) {
        guard call.state == .answered, let callMedia = call.media, let legMedia = leg.media else {
            hangUp(leg, reason: "the caller left before the target answered")
            return
        }
        callMedia.join(legMedia)
        legMedia.join(callMedia)
        call.transfer?.state = "transferred"
        call.transferPosted = true
        logger.info("bridged transfer: caller and target joined", metadata: ["call": "\(call.sid)", "target": "\(leg.sid)"])
        postStatus(call, "transferred")
    }

    /// A transfer that did not happen: the call goes on with the worker, or — if the worker left meanwhile —
    /// the caller hears the busy message and the call ends.
    func transferFailed(_ call: Call, reason: String) {
        guard call.state == .answered, call.transfer?.state == "trying" else { return }
        call.transfer?.state = "failed"
        call.transfer?.reason = reason
        call.transferLeg = nil
        logger.warning("transfer failed: the call stays with the worker", metadata: ["call": "\(call.sid)", "why": "\(reason)"])
        Task { await self.noWorkerCheck(call) }
    }

    /// One end of a transfer is over: the other follows (a joined call), or the transfer failed (the target's
    /// call ended before it was answered), or the target's call is dropped (the caller left first).
    func transferPartnerEnded(_ call: Call) {
        if let leg = call.transferLeg {
            call.transferLeg = nil
            leg.transferOf = nil
            if leg.state != .ended { hangUp(leg, reason: "the caller hung up") }
        }
        if let original = call.transferOf {
            call.transferOf = nil
            original.transferLeg = nil
            if original.transfer?.state == "transferred" {
                if original.state != .ended { hangUp(original, reason: "the transfer target hung up") }
            } else {
                transferFailed(original, reason: "the target's call ended: \(call.endReason ?? "no answer")")
            }
        }
    }
}
