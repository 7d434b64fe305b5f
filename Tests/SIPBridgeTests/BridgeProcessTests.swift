import AlloRestoCore
import AlloRestoTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The built `alloresto sip-bridge` as its own process, so its memory can be read alone (the other tests share
/// one process with everything else).
@Suite(.serialized) struct BridgeProcessTests {
    /// 100,000 malformed or truncated SIP datagrams at the SIP port and 100,000 random RTP datagrams (random bytes,
    /// and well-formed headers with random payload types, sequence numbers and timestamps) at a live call's media
    /// port: the process stays up, its resident memory does not grow past the warm-up, no dialog is created, and the
    /// call in progress is still hung up cleanly (the caller gets the BYE).
    @Test(.enabled(if: Peers.enabled)) func garbageAtAnActiveCallLeavesMemoryAndCallTableFlat() async throws {
        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let sipPort = LocalServers.freeSIPPort(), httpPort = Peers.freePort()
        let bridge = Process()
        bridge.executableURL = try BuiltBinary.alloresto
        bridge.arguments = ["sip-bridge", "--bind", "127.0.0.1", "--sip-port", String(sipPort), "--http-port", String(httpPort),
                            "--redis-url", "redis://127.0.0.1:\(redisPort)", "--queue-key", "queue:fuzz", "--worker-timeout", "300", "--ring-ms", "0"]
        bridge.standardOutput = FileHandle.nullDevice
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sip-bridge-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        bridge.standardError = try FileHandle(forWritingTo: log)
        print("sip-bridge log: \(log.path)")
        try bridge.run()
        defer { kill(bridge.processIdentifier, SIGKILL) }
        for _ in 0..<200 where !LocalServers.accepts(port: httpPort) { try await Task.sleep(for: .milliseconds(50)) }
        let base = "http://127.0.0.1:\(httpPort)"

        // A caller that waits for the bridge's BYE; its call stays up (no worker, a long worker timeout) during the fuzz.
        let listener = try await RTPListener()
        async let caller = Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port), #"timeout="15000""#: #"timeout="600000""#],
                                 bridgePort: sipPort, timeout: 600)
        for _ in 0..<250 where listener.source.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        let media = try #require(listener.source.withLockedValue { $0 }, "the answered call's RTP")
        let sip = try SocketAddress(ipAddress: "127.0.0.1", port: sipPort)

        var rng = SeededGenerator(seed: 42)
        func blast(_ count: Int) async throws {
            for i in 0..<count {
                let sipBytes = Peers.garbageSIP(i, using: &rng)
                let rtpBytes: [UInt8]
                if i % 2 == 0 {
                    rtpBytes = (0..<Int.random(in: 1..<400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                } else {
                    var header: [UInt8] = [0x80, UInt8.random(in: 0...127, using: &rng) | (Bool.random(using: &rng) ? 0x80 : 0)]
                    header += (0..<10).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    rtpBytes = header + (0..<Int.random(in: 0..<320, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                for (bytes, to) in [(sipBytes, sip), (rtpBytes, media)] {
                    var b = listener.channel.allocator.buffer(capacity: bytes.count)
                    b.writeBytes(bytes)
                    listener.channel.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: b), promise: nil)
                }
                if i % 250 == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            try await Task.sleep(for: .seconds(1))
        }

        try await blast(20_000)  // warm-up: allocator pools and buffers reach their working size
        let before = try #require(BuiltBinary.residentKB(of: bridge.processIdentifier))
        try await blast(100_000)
        let after = try #require(BuiltBinary.residentKB(of: bridge.processIdentifier))
        print("sip-bridge resident memory: \(before) kB after the warm-up, \(after) kB after 100,000 + 100,000 datagrams")
        // A leak of 20 bytes per datagram would be 4 MB here.
        #expect(after - before < 4_000, "resident memory grew from \(before) kB to \(after) kB")

        // The call table: only the real call, nothing remembered for the garbage.
        let (_, records) = try await Peers.http("GET", "\(base)/api/calls", body: .null)
        #expect(records.arrayValue?.count == 1, "the original's list: only the real call")
        let (_, calls) = try await Peers.http("GET", "\(base)/api/calls/history", body: .null)
        #expect(calls["active"]?.arrayValue?.count == 1)
        #expect(calls["recent"]?.arrayValue?.isEmpty == true, "\(calls["recent"].map { String(decoding: JSONWriter.encoded($0), as: UTF8.self) } ?? "")")
        let call = try #require(calls["active"]?.arrayValue?.first)
        let sid = try #require(call["sid"]?.stringValue)
        #expect((call["rtpReceived"]?.intValue ?? 0) > 0)

        // Still a working phone: hang the call up through the API; the caller gets the BYE and answers it.
        let (status, _) = try await Peers.http("DELETE", "\(base)/api/calls/\(sid)", body: .null)
        #expect(status == 200)
        let (sippStatus, errors) = try await caller
        #expect(sippStatus == 0, "sipp: \(errors)")
        let (_, metrics) = try await Peers.http("GET", "\(base)/api/metrics", body: .null)
        #expect(metrics["answeredCalls"] == 1 && metrics["endedCalls"] == 1 && metrics["activeCalls"] == 0)
        #expect((metrics["sendLateUs"]?["count"]?.intValue ?? 0) > 100)
        let (_, health) = try await Peers.http("GET", "\(base)/health", body: .null)
        #expect(health["activeCalls"] == 0)
        #expect(health["redis"] == true)
    }
}
