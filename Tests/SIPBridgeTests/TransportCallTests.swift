import AlloRestoTestSupport
import Foundation
import NIOCore
import SIPBridge
import SIPCore
import Testing

/// The bridge reaching trunks over TCP, over TLS (socat's OpenSSL in front of sipp on TCP, as Debian's sipp has no
/// TLS) and through DNS (a local dnsmasq answering NAPTR, SRV and A): real peers, real sockets.
@Suite(.serialized) struct TransportCallTests {
    static var tools: Bool {
        (LocalServers.exists("/usr/bin/socat") && LocalServers.exists("/usr/sbin/dnsmasq") && LocalServers.exists("/usr/bin/openssl"))
            || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// A bridge with one line registering at `registrar` over `transport`, Redis for the hand-off, no worker.
    static func bridge(redisPort: Int, sipPort: Int, registrar: String, transport: SIPTransportKind,
                       _ configure: (inout BridgeConfiguration) -> Void = { _ in }) async throws -> SIPBridgeService {
        try await BridgeCallTests.bridge(redisPort: redisPort) { c in
            c.sipPort = sipPort
            c.sipTransport = transport
            c.workerTimeout = .seconds(1)
            c.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: registrar, expires: 120)]
            configure(&c)
        }
    }

    /// The line registers over TCP (Via `SIP/2.0/TCP`, Contact `;transport=tcp`); the trunk then sends a call down
    /// the same connection; the 200's Contact says TCP, the busy message reaches the caller's RTP port and the
    /// bridge's BYE comes back down the connection.
    @Test(.enabled(if: Peers.enabled)) func aTrunkOverTCPRegistersThenCallsDownTheSameConnection() async throws {
        let redisPort = Peers.freePort(), trunkPort = LocalServers.freeSIPPort(), bridgePort = LocalServers.freeSIPPort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let media = try await RTPListener()
        async let trunk = Peers.sippServer("uas-registrar-call.xml", port: trunkPort, replacing: [
            "BRIDGE_PORT": String(bridgePort), "MEDIA_PORT": String(media.port), "TRANSPORT_TOKEN": "TCP", "TRANSPORT_NAME": "tcp",
        ], extra: ["-t", "t1"])
        try await Task.sleep(for: .milliseconds(500))
        let bridge = try await Self.bridge(redisPort: redisPort, sipPort: bridgePort, registrar: "127.0.0.1:\(trunkPort)", transport: .tcp)
        let (status, errors) = try await trunk
        #expect(status == 0, "trunk: \(errors)")
        await media.awaitPayloads(containing: SIPBridgeService.busyMessage())
        #expect(media.payloads.withLockedValue { $0.flatMap { $0 } }.firstRange(of: SIPBridgeService.busyMessage()) != nil)
        #expect(await bridge.callInfos().recent.first?.endReason == "no worker")
        await bridge.stop()
    }

    /// The same over TLS: socat terminates TLS with a certificate for `localhost` made for this test; the bridge
    /// trusts it through `tlsCAFile` and checks the name. A bridge that trusts only the system's store refuses the
    /// certificate: its line is "failed" with the TLS error, nothing registered.
    @Test(.enabled(if: Peers.enabled && tools)) func aTrunkOverTLSWithItsCertificateChecked() async throws {
        let redisPort = Peers.freePort(), trunkPort = LocalServers.freeSIPPort(), tlsPort = Peers.freePort(), bridgePort = LocalServers.freeSIPPort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ])
        #expect(made.status == 0, "openssl: \(String(decoding: made.stderr, as: UTF8.self))")
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["OPENSSL-LISTEN:\(tlsPort),bind=127.0.0.1,reuseaddr,fork,cert=\(cert),key=\(key),verify=0", "TCP:127.0.0.1:\(trunkPort)"]
        socat.standardError = FileHandle.nullDevice
        try socat.run()
        defer { LocalServers.stop(socat, port: tlsPort) }
        for _ in 0..<100 where !LocalServers.accepts(port: tlsPort) { try await Task.sleep(for: .milliseconds(50)) }

        // Untrusted first: the system store does not know this certificate.
        let untrusted = try await Self.bridge(redisPort: redisPort, sipPort: 0, registrar: "localhost:\(tlsPort)", transport: .tls)
        let refused = try await InteropCallTests.lineState(untrusted) { $0 == "failed" }
        #expect(refused.state == "failed" && (refused.lastError ?? "").lowercased().contains("certificate"), "\(refused)")
        await untrusted.stop()

        let media = try await RTPListener()
        async let trunk = Peers.sippServer("uas-registrar-call.xml", port: trunkPort, replacing: [
            "BRIDGE_PORT": String(bridgePort), "MEDIA_PORT": String(media.port), "TRANSPORT_TOKEN": "TLS", "TRANSPORT_NAME": "tls",
        ], extra: ["-t", "t1"])
        try await Task.sleep(for: .milliseconds(500))
        let bridge = try await Self.bridge(redisPort: redisPort, sipPort: bridgePort, registrar: "localhost:\(tlsPort)", transport: .tls) {
            $0.tlsCAFile = cert
        }
        let (status, errors) = try await trunk
        #expect(status == 0, "trunk: \(errors)")
        await media.awaitPayloads(containing: SIPBridgeService.busyMessage())
        #expect(media.payloads.withLockedValue { $0.flatMap { $0 } }.firstRange(of: SIPBridgeService.busyMessage()) != nil)
        await bridge.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// A line whose registrar is a bare domain: NAPTR (SIP+D2U) → `_sip._udp` SRV, the priority-10 target's A
    /// record → the sipp registrar, found through a dnsmasq on a local port (the priority-20 target is a dead port).
    @Test(.enabled(if: Peers.enabled && tools)) func aRegistrarFoundByNAPTRAndSRV() async throws {
        let dnsPort = LocalServers.freeSIPPort(), registrarPort = LocalServers.freeSIPPort(), deadPort = Peers.freePort()
        // dnsmasq daemonizes itself (its parent exits at once): a long-lived child of the test process would
        // leave Foundation's Process waiting on it and sipp unreaped. Killed by its pid file.
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("dnsmasq-\(UUID().uuidString).pid").path
        let started = try await ChildProcess.run("/usr/sbin/dnsmasq", [
            "--pid-file=\(pidFile)", "--port=\(dnsPort)", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--naptr-record=alloresto.test,10,50,s,SIP+D2U,,_sip._udp.alloresto.test",
            "--srv-host=_sip._udp.alloresto.test,backup.alloresto.test,\(deadPort),20,100",
            "--srv-host=_sip._udp.alloresto.test,sip.alloresto.test,\(registrarPort),10,100",
            "--host-record=sip.alloresto.test,127.0.0.1", "--host-record=backup.alloresto.test,127.0.0.1",
        ])
        #expect(started.status == 0, "dnsmasq: \(String(decoding: started.stderr, as: UTF8.self))")
        let dnsPid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        defer { if let dnsPid { kill(dnsPid, SIGKILL) } }
        async let registrar = Peers.sippServer("uas-registrar.xml", port: registrarPort, extra: ["-au", "line1", "-ap", "secret-1"])
        try await Task.sleep(for: .milliseconds(500))
        var c = BridgeConfiguration()
        c.bindHost = "127.0.0.1"
        c.sipPort = 0
        c.dnsServer = "127.0.0.1:\(dnsPort)"
        c.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "secret-1", registrar: nil, expires: 120)]
        let bridge = SIPBridgeService(config: c)
        try await bridge.start()
        let info = try await InteropCallTests.lineState(bridge) { $0 == "registered" || $0 == "failed" }
        #expect(info.state == "registered", "\(info)")
        let (status, errors) = try await registrar
        #expect(status == 0, "registrar: \(errors)")
        await bridge.stop()
    }
}
