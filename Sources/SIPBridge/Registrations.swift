import Foundation
import NIOCore
import SIPCore

/// Each line's registration: the `Registration` machine decides, this loop sends its REGISTERs through client
/// transactions and sleeps the waits it returns; on shutdown registered lines are unregistered (Expires 0).
extension SIPBridgeService {
    func keepRegistered(_ index: Int) async {
        var actions = lines[index].registration.start(via: via)
        while !Task.isCancelled {
            guard let action = actions.first else { return }
            switch action {
            case .send(let register):
                guard let address = registrarAddress(index) else {
                    actions = lines[index].registration.unreachable("cannot resolve \(registrarName(index))")
                    break
                }
                let reply = await request(register, to: address)
                if Task.isCancelled { return }
                let before = lines[index].registration.state
                actions = reply.map { lines[index].registration.receive($0, via: via, cnonce: String(UInt64.random(in: 0...UInt64.max), radix: 16)) }
                    ?? lines[index].registration.timedOut()
                report(index, before: before)
            case .wait(let duration):
                try? await Task.sleep(for: duration)
                if Task.isCancelled { return }
                actions = lines[index].registration.start(via: via)
            case .done:
                return
            }
        }
    }

    func registrarName(_ index: Int) -> String { lines[index].config.registrar ?? lines[index].config.domain }

    func registrarAddress(_ index: Int) -> SocketAddress? {
        let parts = registrarName(index).split(separator: ":")
        let port = parts.count > 1 ? Int(parts[1]).flatMap { (1...65535).contains($0) ? $0 : nil } ?? 5060 : 5060
        return try? SocketAddress.makeAddressResolvingHost(String(parts.first ?? ""), port: port)
    }

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
        var actions = lines[index].registration.stop(via: via)
        while case .send(let register) = actions.first, let address = registrarAddress(index) {
            let reply = await request(register, to: address)
            actions = reply.map { lines[index].registration.receive($0, via: via, cnonce: String(UInt64.random(in: 0...UInt64.max), radix: 16)) }
                ?? lines[index].registration.timedOut()
        }
        lines[index].registeredAt = nil
        logger.info("line unregistered", metadata: ["line": "\(lines[index].config.name)"])
    }
}
