import AlloRestoCore
import AlloRestoTestSupport
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SIPBridge
import SIPCore
import Testing

/// The bridge as a drop-in for the original `sipbridge.py` (Bluestart83/AlloResto v2, `sip-service/SIP-BRIDGE.md`):
/// its command line and environment, its REST shapes and its status callbacks, checked against that document.
@Suite(.serialized) struct DropInTests {
    /// Runs the built binary until `body` is done; its standard output is returned with what `body` returned.
    static func withBinary<T: Sendable>(_ arguments: [String], environment: [String: String], httpPort: Int,
                                        _ body: @Sendable (String) async throws -> T) async throws -> (T, String) {
        let p = Process()
        p.executableURL = try BuiltBinary.alloresto
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dropin-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { kill(p.processIdentifier, SIGKILL) }
        for _ in 0..<200 where !LocalServers.accepts(port: httpPort) { try await Task.sleep(for: .milliseconds(50)) }
        let result = try await body("http://127.0.0.1:\(httpPort)")
        return (result, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    /// `main-sipbridge.py`'s flags (ICE, TURN, echo cancellation and VAD accepted and named in one start-up line)
    /// and `start-sipbridge.sh`'s environment (RESTAURANT_ID, BRIDGE_API_PORT, MAX_CONCURRENT_CALLS, WS_TARGET…);
    /// `/health` answers in the original's shape; a bad number in the environment stops the start naming it.
    @Test(.enabled(if: Peers.enabled)) func theOriginalCommandLineAndEnvironment() async throws {
        let apiPort = Peers.freePort()
        let flags = [
            "sip-bridge", "--sip-domain", "127.0.0.1", "--sip-username", "0142601234", "--sip-password", "x", "--sip-port", "0", "--sip-transport", "udp",
            "--sip-reg-timeout", "120", "--stun-server", "stun.l.google.com:19302", "--no-ice", "--no-ec", "--ec-tail-ms", "200", "--vad", "--rx-gain", "0",
            "--tx-gain", "-3", "--api-port", String(apiPort), "--max-call-duration", "0", "--max-concurrent-calls", "7", "--param", "campaign=rappel",
            "--status-callback-url", "http://127.0.0.1:9/status", "--callback-method", "GET", "--callback-timeout", "2", "--bind", "127.0.0.1",
            "--redis-url", "redis://127.0.0.1:9",
        ]
        let ((health, lines), out) = try await Self.withBinary(flags, environment: ["RESTAURANT_ID": "r-42"], httpPort: apiPort) { base in
            (try await Peers.http("GET", "\(base)/health", body: .null).1, try await Peers.http("GET", "\(base)/api/lines", body: .null).1)
        }
        #expect(health["sip_account"] == "0142601234@127.0.0.1" && health["max_concurrent_calls"] == 7 && health["active_calls"] == 0)
        #expect(health["sip_registered"] == false && health["ws_target"] == .null && health["audio"]?["codec"] == "PCMU/8000")
        #expect(health["audio"]?["tx_gain_db"]?.doubleValue == -3 && health["audio"]?["frame_ms"] == 20)
        let params = lines["lines"]?.arrayValue?.first?["params"]
        #expect(params?["restaurantId"] == "r-42" && params?["campaign"] == "rappel", "\(String(describing: params))")
        #expect(out.contains("Ignored, not applicable to this bridge") && out.contains("--stun-server") && out.contains("--no-ec") && out.contains("--vad"), "\(out)")

        let envPort = Peers.freePort()
        let (envHealth, _) = try await Self.withBinary(["sip-bridge", "--bind", "127.0.0.1"], environment: [
            "SIP_USERNAME": "line9", "SIP_DOMAIN": "127.0.0.1", "SIP_PORT": "0", "BRIDGE_API_PORT": String(envPort), "MAX_CONCURRENT_CALLS": "3",
            "RESTAURANT_ID": "r-9", "WS_TARGET": "ws://127.0.0.1:9/media-stream",
        ], httpPort: envPort) { base in try await Peers.http("GET", "\(base)/health", body: .null).1 }
        #expect(envHealth["max_concurrent_calls"] == 3 && envHealth["ws_target"] == "ws://127.0.0.1:9/media-stream" && envHealth["handOff"] == "push")
        #expect(envHealth["sip_account"] == "line9@127.0.0.1")

        let refused = try await ChildProcess.run(try BuiltBinary.alloresto.path, ["sip-bridge", "--bind", "127.0.0.1", "--sip-port", "0"],
                                                 environment: ProcessInfo.processInfo.environment.merging(["MAX_CONCURRENT_CALLS": "beaucoup"]) { $1 })
        #expect(refused.status != 0 && String(decoding: refused.stderr + refused.stdout, as: UTF8.self).contains("MAX_CONCURRENT_CALLS"))
    }

    /// `POST /api/calls` with the original's fields (`to` a SIP URI routed by its host, `from`, `customParams`,
    /// `callbackUrl`, `timeout_sec`) → 201 in its shape; `GET /api/calls` is its array (ringing, then the ended call
    /// kept); the call's own callback gets `{sid, direction, from, to, status, customParams, event, timestamp}` for
    /// initiated, ringing and no-answer. Bad numbers and URLs are 422.
    @Test(.enabled(if: Peers.enabled)) func theOriginalRESTShapesAndStatusCallbacks() async throws {
        let calleePort = LocalServers.freeSIPPort(), callbackPort = Peers.freePort()
        let bridge = try await BridgeCallTests.bridge(redisPort: 9) {
            $0.lines = [SIPLine(domain: "alloresto.test", username: "line1", password: "x", registrar: "127.0.0.1:9")]
        }
        let statuses = NIOLockedValueBox<[JSONValue]>([])
        let callbacks = Router()
        callbacks.post("/status") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 16)
            if let json = try? JSONReader.parse(Array(buffer: body)) { statuses.withLockedValue { $0.append(json) } }
            return .noContent
        }
        let callbackApp = Application(router: callbacks, configuration: .init(address: .hostname("127.0.0.1", port: callbackPort)))
        let http = bridge.config.httpPort
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await callbackApp.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: callbackPort) { try await Task.sleep(for: .milliseconds(50)) }
            try await BridgeCallTests.withHTTP(bridge) {
                let base = "http://127.0.0.1:\(http)/api/calls"
                #expect(try await Peers.http("POST", base, body: ["to": "+33611111111", "timeoutSec": 1e300]).0 == 422)
                #expect(try await Peers.http("POST", base, body: ["to": "+33611111111", "wsTarget": "http://x"]).0 == 422)
                async let callee = Peers.sippServer("uas-callee-no-answer.xml", port: calleePort, timeout: 20)
                try await Task.sleep(for: .milliseconds(500))
                let (code, created) = try await Peers.http("POST", base, body: [
                    "to": .string("sip:+33611111111@127.0.0.1:\(calleePort)"), "from": "+33491234567", "customParams": ["restaurantId": "r-7"],
                    "callbackUrl": .string("http://127.0.0.1:\(callbackPort)/status"), "timeout_sec": 2,
                ])
                #expect(code == 201)
                #expect(created["status"] == "initiated" && created["direction"] == "outbound" && created["from"] == "+33491234567")
                #expect(created["to"]?.stringValue == "sip:+33611111111@127.0.0.1:\(calleePort)" && created["customParams"]?["restaurantId"] == "r-7" && created["createdAt"]?.stringValue != nil)
                let sid = try #require(created["sid"]?.stringValue)
                var ringing: JSONValue?
                for _ in 0..<40 {
                    ringing = try await Peers.http("GET", base, body: .null).1.arrayValue?.first { $0["sid"]?.stringValue == sid }
                    if ringing?["status"] == "ringing" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(ringing?["status"] == "ringing" && ringing?["endedAt"] == .null)
                let (status, errors) = try await callee
                #expect(status == 0, "callee: \(errors)")
                let ended = try await Peers.http("GET", base, body: .null).1.arrayValue?.first { $0["sid"]?.stringValue == sid }
                #expect(ended?["status"] == "no-answer" && ended?["endedAt"]?.stringValue != nil && ended?["durationSec"] == 0)
            }
            for _ in 0..<50 where statuses.withLockedValue({ $0.count }) < 3 { try await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
        let got = statuses.withLockedValue { $0 }
        #expect(got.compactMap { $0["status"]?.stringValue } == ["initiated", "ringing", "no-answer"])
        #expect(got.compactMap { $0["event"]?.stringValue } == ["initiated", "ringing", "completed"])
        #expect(got.allSatisfy { $0["customParams"]?["restaurantId"] == "r-7" && $0["from"] == "+33491234567" && $0["timestamp"]?.stringValue != nil })
        await bridge.stop()
    }

    /// An inbound call with the global status URL by GET (fields as query parameters): ringing, answered, active
    /// (the worker is on), completed; and `--rx-gain 6`: the worker hears the caller's audio 6 dB louder, exactly
    /// as the gain table maps each byte.
    @Test(.enabled(if: Peers.enabled)) func inboundCallbacksByGETAndTheReceiveGain() async throws {
        let redisPort = Peers.freePort(), hookPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let queries = NIOLockedValueBox<[[String: String]]>([])
        let hooks = Router()
        hooks.get("/hook") { request, _ -> HTTPResponse.Status in
            var fields: [String: String] = [:]
            for (k, v) in request.uri.queryParameters { fields[String(k)] = String(v) }
            queries.withLockedValue { $0.append(fields) }
            return .ok
        }
        let hookApp = Application(router: hooks, configuration: .init(address: .hostname("127.0.0.1", port: hookPort)))
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.statusCallbackURL = "http://127.0.0.1:\(hookPort)/hook"
            $0.callbackMethod = "GET"
            $0.rxGainDB = 6
        }
        let listener = try await RTPListener()
        let audio = (0..<1600).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) | 0x10 }
        let config = bridge.config
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await hookApp.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: hookPort) { try await Task.sleep(for: .milliseconds(50)) }
            let outcome = try await BridgeCallTests.withHTTP(bridge) {
                async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: 10)
                async let caller: Void = listener.sendAudio(audio, packetBytes: 160, ssrc: 0x5151, firstSequence: 1)
                let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)],
                                                            bridgePort: await bridge.localPort, timeout: 20)
                #expect(status == 0, "sipp: \(errors)")
                try await caller
                return try await worker
            }
            let table = try #require(G711.ulawGainTable(dB: 6))
            #expect(outcome.received == Array(audio.prefix(outcome.received.count)).map { table[Int($0)] } && outcome.received.count >= 1600)
            for _ in 0..<50 where queries.withLockedValue({ $0.count }) < 4 { try await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
        let got = queries.withLockedValue { $0 }
        #expect(got.compactMap { $0["status"] } == ["ringing", "answered", "active", "completed"], "\(got)")
        #expect(got.allSatisfy { $0["direction"] == "inbound" && $0["sid"]?.hasPrefix("CA") == true && $0["from"] == "0612345678" })
        await bridge.stop()
    }

    /// The incoming-call hook (SIP-BRIDGE.md §5), asked before each answer with `{from, to, timestamp}`: `reject`
    /// with 603 (the caller gets 603), `ignore` (it rings, never answered, until the caller cancels), `accept` with
    /// `customParams` (the worker's queue event carries them), and a hook too slow to answer (accepted with the
    /// line's defaults).
    @Test(.enabled(if: Peers.enabled)) func theIncomingCallHook() async throws {
        let redisPort = Peers.freePort(), hookPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let asked = NIOLockedValueBox<[JSONValue]>([])
        let decisions: [JSONValue] = [
            ["action": "reject", "statusCode": 603], ["action": "ignore"], ["action": "accept", "customParams": ["restaurantId": "r-hook"]], "slow",
        ]
        let hooks = Router()
        hooks.post("/incoming") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            let n = asked.withLockedValue { list in
                list.append((try? JSONReader.parse(Array(buffer: body))) ?? .null)
                return list.count - 1
            }
            let decision = decisions[min(n, decisions.count - 1)]
            // Never in time: the bridge must give up at its callback timeout (the test ends before this sleep does).
            if decision == "slow" { try await Task.sleep(for: .seconds(60)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(decision))))
        }
        let hookApp = Application(router: hooks, configuration: .init(address: .hostname("127.0.0.1", port: hookPort)))
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            $0.incomingCallbackURL = "http://127.0.0.1:\(hookPort)/incoming"
            $0.callbackTimeout = .seconds(4)  // room for a loaded machine; the slow hook never answers
            $0.lines = [SIPLine(domain: "sip.test", username: "1234", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "r-line"])]
        }
        let config = bridge.config, port = await bridge.localPort
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await hookApp.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: hookPort) { try await Task.sleep(for: .milliseconds(50)) }
            let (rejected, rejectedErrors) = try await Peers.sipp("uac-refused.xml", replacing: ["EXPECTED_CODE": "603"], bridgePort: port)
            #expect(rejected == 0, "603: \(rejectedErrors)")
            let (cancelled, cancelledErrors) = try await Peers.sipp("uac-cancel.xml", bridgePort: port)
            #expect(cancelled == 0, "ignored then cancelled: \(cancelledErrors)")
            try await BridgeCallTests.withHTTP(bridge) {
                for expected in ["r-hook", "r-line"] {
                    let listener = try await RTPListener()
                    async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: 0)
                    let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)], bridgePort: port,
                                                                timeout: 20)
                    #expect(status == 0, "sipp: \(errors)")
                    let outcome = try await worker
                    #expect(outcome.event["restaurantId"]?.stringValue == expected && outcome.event["customParams"]?["restaurantId"]?.stringValue == expected)
                }
            }
            group.cancelAll()
        }
        let questions = asked.withLockedValue { $0 }
        #expect(questions.count == 4 && questions.allSatisfy { $0["from"] == "0612345678" && $0["to"] == "1234" && $0["timestamp"]?.stringValue != nil })
        let ends = await bridge.callInfos().recent.prefix(4).compactMap(\.endReason)
        #expect(ends.contains("rejected by the incoming hook") && ends.contains("cancelled"), "\(ends)")
        await bridge.stop()
    }

    /// An independent client of the original's REST API and callbacks, written from SIP-BRIDGE.md alone
    /// (`Tests/Compat/sipbridge_client.py`: Python's standard library, nothing of ours), run against the built binary
    /// started with the original's flags: `/health`, `POST /api/calls` to a SIP URI (sipp rings and never answers),
    /// the array of `GET /api/calls`, `DELETE`, and the status callbacks — every documented field, type and value.
    @Test(.enabled(if: Peers.enabled)) func anIndependentClientOfTheOriginalAPI() async throws {
        let apiPort = Peers.freePort(), calleePort = LocalServers.freeSIPPort()
        let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Compat/sipbridge_client.py")
        let flags = ["sip-bridge", "--bind", "127.0.0.1", "--sip-port", "0", "--sip-domain", "alloresto.test", "--sip-username", "line1", "--sip-password", "x",
                     "--sip-registrar", "127.0.0.1:9", "--api-port", String(apiPort), "--redis-url", "redis://127.0.0.1:9"]
        let ((run, callee), _) = try await Self.withBinary(flags, environment: [:], httpPort: apiPort) { base in
            async let callee = Peers.sippServer("uas-callee-no-answer.xml", port: calleePort, timeout: 30)
            try await Task.sleep(for: .milliseconds(300))
            let run = try await ChildProcess.run("/usr/bin/python3", [client.path, "--base", base, "--callee", "sip:+33611111111@127.0.0.1:\(calleePort)"])
            return (run, try await callee)
        }
        let output = String(decoding: run.stdout + run.stderr, as: UTF8.self)
        #expect(run.status == 0, "\(output)")
        #expect(output.contains("ok: DELETE /api/calls/CAdoesnotexist answers 404"), "\(output)")
        #expect(callee.0 == 0, "callee: \(callee.1)")
    }

    /// The hook's `accept` overrides, per call: `wsTarget` (this call is pushed to that worker, with the hook's
    /// `customParams`, though the bridge itself queues on a Redis that is down) and `callbackUrl` (this call's
    /// statuses go there, none to the global `--status-callback-url`).
    @Test(.enabled(if: Peers.enabled)) func theIncomingHookOverridesTheWorkerAndTheCallback() async throws {
        let port = Peers.freePort()
        let pushed = NIOLockedValueBox<(start: JSONValue?, stopped: Bool)>((nil, false))
        let global = NIOLockedValueBox<Int>(0), perCall = NIOLockedValueBox<[String]>([])
        let router = Router()
        router.post("/incoming") { _, _ -> Response in
            let decision: JSONValue = ["action": "accept", "customParams": ["restaurantId": "r-override"], "wsTarget": .string("ws://127.0.0.1:\(port)/override"),
                                       "callbackUrl": .string("http://127.0.0.1:\(port)/per-call")]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encoded(decision))))
        }
        router.post("/global") { _, _ -> HTTPResponse.Status in
            global.withLockedValue { $0 += 1 }
            return .noContent
        }
        router.post("/per-call") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 16)
            if let status = (try? JSONReader.parse(Array(buffer: body)))?["status"]?.stringValue { perCall.withLockedValue { $0.append(status) } }
            return .noContent
        }
        let ws = Router(context: BasicWebSocketRequestContext.self)
        ws.ws("/override") { _, _ in .upgrade([:]) } onUpgrade: { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let t) = message, let m = try? JSONReader.parse(Array(t.utf8)) else { continue }
                if m["event"] == "start" { pushed.withLockedValue { $0.start = m["start"] } }
                if m["event"] == "stop" { pushed.withLockedValue { $0.stopped = true } }
            }
        }
        let app = Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: ws),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: Logger(label: "hook-and-worker"))
        let bridge = try await BridgeCallTests.bridge(redisPort: 9) {
            $0.incomingCallbackURL = "http://127.0.0.1:\(port)/incoming"
            $0.statusCallbackURL = "http://127.0.0.1:\(port)/global"
            $0.lines = [SIPLine(domain: "sip.test", username: "1234", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "r-line"])]
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            for _ in 0..<100 where !LocalServers.accepts(port: port) { try await Task.sleep(for: .milliseconds(50)) }
            let listener = try await RTPListener()
            let (status, errors) = try await Peers.sipp("uac-call.xml", replacing: [
                "MEDIA_PORT": String(listener.port), "AUDIO_FILE": Peers.scenarios.appendingPathComponent("tone-600hz.ulaw").path,
            ], bridgePort: await bridge.localPort)
            #expect(status == 0, "sipp: \(errors)")
            for _ in 0..<50 where !pushed.withLockedValue({ $0.stopped }) || perCall.withLockedValue({ $0.last }) != "completed" {
                try await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()
        }
        let start = pushed.withLockedValue { $0.start }
        #expect(start?["customParameters"]?["restaurantId"] == "r-override" && pushed.withLockedValue { $0.stopped })
        #expect(perCall.withLockedValue { $0 } == ["ringing", "answered", "active", "completed"])
        #expect(global.withLockedValue { $0 } == 0)
        await bridge.stop()
    }

    /// One bridge, one trunk, two restaurants: `alloresto serve` (the built binary, SQLite, two imported
    /// restaurants) answers the bridge's incoming-call hook. A call to each restaurant's number reaches a worker
    /// with that restaurant's id; once the restaurant blocks the caller, the caller hears 603 there.
    @Test(.enabled(if: Peers.enabled)) func oneBridgeForManyRestaurantsRoutedByAlloResto() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = try BuiltBinary.alloresto.path, serviceToken = "svc-" + UUID().uuidString.lowercased()
        var env = ProcessInfo.processInfo.environment.filter { !["DATABASE_URL", "ENCRYPTION_KEY", "PORT", "HOST", "SIP_AGENT_SERVER_URL"].contains($0.key) }
        env["DATABASE_URL"] = "sqlite://\(dir.path)/alloresto.sqlite"
        env["ENCRYPTION_KEY"] = TestDatabases.testKeyHex
        env["ALLORESTO_SERVICE_TOKEN"] = serviceToken
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("AlloRestoCLITests/Fixtures/restaurant-import-v1.json")
        let second = dir.appendingPathComponent("second.json")
        try String(contentsOf: fixture, encoding: .utf8).replacingOccurrences(of: "Pizzeria Bella Napoli", with: "Pizzeria Due")
            .replacingOccurrences(of: "+33491234567", with: "+33491000002").replacingOccurrences(of: "ChIJN1t_tDeuEmsRUsoyG83frY4", with: "ChIJ-second-place")
            .write(to: second, atomically: true, encoding: .utf8)  // another Google place: another restaurant
        var ids: [String] = []
        for file in [fixture, second] {
            let run = try await ChildProcess.run(binary, ["import", file.path, "--json", "--no-provision"], environment: env)
            let out = try JSONReader.parse(Array(run.stdout))
            ids.append(try #require(out["restaurantId"]?.stringValue, "\(String(decoding: run.stderr, as: UTF8.self))"))
        }
        #expect(Set(ids).count == 2)
        // "management key: <key>   (shown once…)"
        let printed = String(decoding: try await ChildProcess.run(binary, ["token", "management-key", "--restaurant", ids[1]], environment: env).stdout, as: UTF8.self)
        let key = printed.components(separatedBy: "management key: ").dropFirst().first?.split(separator: " ").first.map(String.init)
        let serverPort = Peers.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = ["serve"]
        server.environment = env.merging(["PORT": String(serverPort), "HOST": "127.0.0.1"]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        for _ in 0..<200 where !LocalServers.accepts(port: serverPort) { try await Task.sleep(for: .milliseconds(50)) }

        let redisPort = Peers.freePort()
        let redis = try LocalServers.startRedis(port: redisPort)
        defer { LocalServers.stop(redis, port: redisPort) }
        let bridge = try await BridgeCallTests.bridge(redisPort: redisPort) {
            // As `--alloresto-url` sets it: the service token as Bearer (the `?token=` form is tested on the server side).
            $0.incomingCallbackURL = "http://127.0.0.1:\(serverPort)/api/sip/incoming"
            $0.incomingCallbackToken = serviceToken
            $0.lines = [SIPLine(domain: "trunk.test", username: "trunk", password: "x", registrar: "127.0.0.1:9", params: ["restaurantId": "unrouted"])]
        }
        let config = bridge.config, port = await bridge.localPort, routes = [("0491234567", ids[0]), ("+33491000002", ids[1])]
        try await BridgeCallTests.withHTTP(bridge) {
            for (dialed, expected) in routes {
                let listener = try await RTPListener()
                async let worker = TestWorker.takeOne(redisURL: config.redisURL, queue: config.queueKey, hangUpAfter: 0)
                let (status, errors) = try await Peers.sipp("uac-wait-bye.xml", replacing: ["MEDIA_PORT": String(listener.port)], bridgePort: port,
                                                            service: dialed, timeout: 20)
                #expect(status == 0, "sipp to \(dialed): \(errors)")
                let outcome = try await worker
                #expect(outcome.event["restaurantId"]?.stringValue == expected && outcome.event["customParams"]?["restaurantName"] != nil,
                        "\(dialed): \(outcome.event)")
            }
        }
        let blocked = try await Peers.http("POST", "http://127.0.0.1:\(serverPort)/api/blocked-phones?key=", body: [
            "restaurantId": .string(ids[1]), "phone": "0612345678",
        ], headers: ["Authorization": "Bearer \(try #require(key))"])
        #expect(blocked.0 == 201, "\(blocked.1)")
        let (refused, errors) = try await Peers.sipp("uac-refused.xml", replacing: ["EXPECTED_CODE": "603"], bridgePort: port, service: "0491000002")
        #expect(refused == 0, "blocked caller: \(errors)")
        await bridge.stop()
    }
}
