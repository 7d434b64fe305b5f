import Foundation
import NIOCore
import SIPCore

/// Each line's registration: the `Registration` machine decides, this loop sends its REGISTERs through client
/// transactions and sleeps the waits it returns; on shutdown registered lines are unregistered (Expires 0).
extension SIPBridgeService {
    func keepRegistered(_ index: Int) async {
        var (address, actions) = await beginRegistration(index)
        while !Task.isCancelled {
            guard let action = actions.first else { return }
            switch action {
            case .send(let register):
                guard let peer = address else { return }
                // Over TCP/TLS the connection may have failed already (a certificate refused during the handshake):
                // never fall back to UDP towards a TLS port.
                if config.sipTransport.isReliable, streams[peer] == nil {
                    let before = lines[index].registration.state
                    let why = transportErrors.removeValue(forKey: peer) ?? "connection closed"
                    actions = lines[index].registration.unreachable("connection to \(registrarName(index)) failed: \(why)")
                    report(index, before: before)
                    continue
                }
                let reply = await request(register, to: peer)
                if Task.isCancelled { return }
                let before = lines[index].registration.state
                if let reply {
                    actions = lines[index].registration.receive(reply, via: via(to: peer), cnonce: Self.cnonce())
                } else if let why = transportErrors.removeValue(forKey: peer) {
                    actions = lines[index].registration.unreachable("connection to \(registrarName(index)) failed: \(why)")
                } else {
                    actions = lines[index].registration.timedOut()
                }
                report(index, before: before)
            case .wait(let duration):
                try? await Task.sleep(for: duration)
                if Task.isCancelled { return }
                (address, actions) = await beginRegistration(index)
            case .done:
                return
            }
        }
    }

    /// A new round: the registrar found (RFC 3263) and reached (a TCP/TLS connection when so configured), then
    /// the machine's first REGISTER; or the failure that makes it wait.
    func beginRegistration(_ index: Int) async -> (SocketAddress?, [Registration.Action]) {
        do {
            let address = try await destination(registrarName(index))
            return (address, lines[index].registration.start(via: via(to: address)))
        } catch {
            let before = lines[index].registration.state
            let actions = lines[index].registration.unreachable("cannot reach \(registrarName(index)): \(error)")
            report(index, before: before)
            return (nil, actions)
        }
    }

    static func cnonce() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 16) }

    func registrarName(_ index: Int) -> String { lines[index].config.registrar ?? lines[index].config.domain }

    /// Logs a line's change of state once.
    func report(_ index: Int, before: Registration.State) {
        let line = lines[index]
        let now = line.registration.state
        switch now {
        case .registered(let expires):
            lines[index].registeredAt = Date()
            if before != now { logger.info("line registered", metadata: ["line": "\(line.config.name)", "expires": "\(expires)"]) }
        case .failed(let why), .refused(let why):
            lines[index].registeredAt = nil
            logger.warning("line registration \(now.label)", metadata: ["line": "\(line.config.name)", "why": "\(why)"])
        default: break
        }
    }

    /// Shutdown: every registered line sends REGISTER with Expires 0 (RFC 3261 §10.2.2), all at once.
    func unregisterAll() async {
        await withTaskGroup(of: Void.self) { group in
            for index in lines.indices {
                guard case .registered = lines[index].registration.state else { continue }
                group.addTask { await self.unregister(index) }
            }
        }
    }

    func unregister(_ index: Int) async {
        guard let address = try? await destination(registrarName(index)) else { return }
        var actions = lines[index].registration.stop(via: via(to: address))
        while case .send(let register) = actions.first {
            let reply = await request(register, to: address)
            actions = reply.map { lines[index].registration.receive($0, via: via(to: address), cnonce: Self.cnonce()) } ?? lines[index].registration.timedOut()
        }
        lines[index].registeredAt = nil
        logger.info("line unregistered", metadata: ["line": "\(lines[index].config.name)"])
    }
}
