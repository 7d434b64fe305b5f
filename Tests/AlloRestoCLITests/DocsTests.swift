import AlloRestoTestSupport
import Foundation
import SipAgentServerDouble
import Testing

/// The docs cannot drift: every `sh` block of the README and of `docs/` is run, in reading order, by bash against
/// `alloresto serve --demo` (the built binary, its clock set to Thursday 2026-11-26 13:00 in Paris by libfaketime so
/// the answers are those the pages show), with sip-agent-server replaced by its double. A block passes when every
/// command in it succeeds: `curl` runs with `--fail-with-body` (an HTTP error fails it), `swift run alloresto` is
/// the built binary. `console` blocks are the developer's build, test and benchmark commands (and the SIP bridge's,
/// which `DropInTests` and `TransferTests` run with a trunk and a voice worker): only those may be shown unrun.
@Suite struct DocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The pages in the order a reader follows them (the state one leaves is the next one's: the voice
    /// integrator's order #2 is the one the restaurant side moves).
    static let pages = ["README.md", "docs/voice-integration.md", "docs/operators.md", "docs/telephony.md", "docs/developers.md"]

    /// A fenced block of a page: its language, its first line number, its text.
    struct Block {
        let page: String
        let line: Int
        let language: String
        let text: String
    }

    static func blocks() throws -> [Block] {
        var out: [Block] = []
        for page in pages {
            let lines = try String(contentsOf: repository.appendingPathComponent(page), encoding: .utf8).components(separatedBy: "\n")
            var open: (line: Int, language: String, text: [String])?
            for (i, line) in lines.enumerated() where line.hasPrefix("```") || open != nil {
                if line.hasPrefix("```") {
                    if let o = open {
                        out.append(Block(page: page, line: o.line, language: o.language, text: o.text.joined(separator: "\n")))
                        open = nil
                    } else {
                        open = (i + 1, String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), [])
                    }
                } else {
                    open?.text.append(line)
                }
            }
        }
        return out
    }

    /// What may stand in a `console` block: building, testing and benchmarking (run by CI and the benchmarks), and
    /// the SIP bridge against a real trunk.
    static let consoleCommands = [
        "swift run alloresto serve --demo",  // what this suite and `CommandLineTests` start
        "swift build", "swift test", "swift package", ".build/release/alloresto", "cat .build/", "eval \"$(../shared/scripts/",
        "../shared/scripts/", "BRIDGE_CALLS=", "ALLORESTO_BIN=", "python3 Tests/Compat/", "swift run alloresto sip-bridge",
        "ALLORESTO_SERVICE_TOKEN=", "curl -s -X POST localhost:8088/", "perf ",
    ]

    @Test func blocksAreRunOrBuildCommands() throws {
        let all = try Self.blocks()
        #expect(all.filter { $0.language == "sh" }.count >= 8)
        for b in all {
            #expect(["sh", "console", "json", ""].contains(b.language), "\(b.page):\(b.line): block of language \(b.language)")
            guard b.language == "console" else { continue }
            var continued = false
            for line in b.text.components(separatedBy: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                defer { continued = t.hasSuffix("\\") }
                if t.isEmpty || t.hasPrefix("#") || continued { continue }
                #expect(Self.consoleCommands.contains { t.hasPrefix($0) }, "\(b.page):\(b.line): \(t) is shown but not run")
            }
        }
    }

    /// The SIP bridge's commands shown unrun (they need a real trunk) cannot drift either: every flag of an
    /// `alloresto sip-bridge` line is one the built binary's `--help` lists, and every REST call shown is one the
    /// bridge's tests send (the same path and JSON fields, in `Tests/SIPBridgeTests` or the compatibility client).
    @Test func theBridgeCommandsShownAreTheBridgesOwn() throws {
        let console = try Self.blocks().filter { $0.language == "console" }
        let bridgeLines = console.flatMap { b in b.text.replacingOccurrences(of: "\\\n", with: " ").components(separatedBy: "\n") }
            .filter { !$0.hasPrefix("#") && $0.contains("alloresto sip-bridge") }
        #expect(bridgeLines.count >= 2)
        let help = try CommandLineTests.run(["sip-bridge", "--help"], in: FileManager.default.temporaryDirectory)
        let known = help.out + help.err
        for line in bridgeLines {
            for flag in line.split(separator: " ").filter({ $0.hasPrefix("--") }).map({ String($0.split(separator: "=")[0]) }) {
                #expect(known.contains("\(flag) "), "\(line): \(flag) is not a flag of alloresto sip-bridge")
            }
        }
        let testsDir = Self.repository.appendingPathComponent("Tests")
        let bridgeTests = (FileManager.default.enumerator(at: testsDir.appendingPathComponent("SIPBridgeTests"), includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL } ?? []) + [testsDir.appendingPathComponent("Compat/sipbridge_client.py")]
        let lines = bridgeTests.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.flatMap { $0.components(separatedBy: "\n") }
        let curls = console.flatMap { $0.text.components(separatedBy: "\n") }.filter { $0.hasPrefix("curl ") && $0.contains("localhost:8088/") }
        #expect(curls.count >= 2)
        for curl in curls {
            let path = String(try #require(curl.firstMatch(of: /localhost:8088(\/[^ ]+)/)?.1))
            // `CA…` stands for a call's sid: the tests build the path around one; its last part ends the URL.
            let end = path.split(separator: "/").last { !$0.hasPrefix("CA") }.map { "/\($0)\"" } ?? path
            // The body's own fields (a nested object such as `params` is free-form).
            let body = curl.replacing(/: \{[^{}]*\}/, with: ": {}")
            let keys = body.matches(of: /"([A-Za-z]+)":/).map { "\"\($0.1)\":" }
            // A request of a test: a line with the URL's end, its body on that line or the next two.
            let sentAlike = lines.indices.contains { i in
                lines[i].contains(end) && keys.allSatisfy { key in lines[i..<min(i + 3, lines.count)].contains { $0.contains(key) } }
            }
            #expect(sentAlike, "\(curl): no bridge test sends \(end) with \(keys)")
        }
    }

    /// libfaketime (Debian's `faketime`), preloaded into the server (the `faketime` wrapper would not pass on the
    /// signal that stops it).
    static var faketime: String? {
        ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }
    static var tools: Bool { faketime != nil && LocalServers.exists("/usr/bin/jq") && LocalServers.exists("/usr/bin/curl") }
    /// Runs where faketime, jq and curl are (CI installs them: there a missing one fails).
    static var enabled: Bool { tools || ProcessInfo.processInfo.environment["CI"] != nil }

    @Test(.enabled(if: enabled)) func everyShellBlockRunsAgainstTheDemo() async throws {
        #expect(Self.tools, "faketime, jq and curl are needed (apt-get install faketime jq curl)")
        let dir = try CommandLineTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("Tests"), withDestinationURL: Self.repository.appendingPathComponent("Tests"))
        let binary = try CommandLineTests.binary
        let double = SipAgentServer(apiKey: "sas-key")
        try await double.run { sas in
            let port = LocalServers.freePort()
            let env = CommandLineTests.environment(dir, [
                "PORT": String(port), "ENCRYPTION_KEY": TestDatabases.testKeyHex, "SIP_AGENT_SERVER_URL": sas,
                "SIP_AGENT_SERVER_API_KEY": "sas-key", "FAKETIME_DONT_FAKE_MONOTONIC": "1", "LOG_LEVEL": "warning",
            ])
            // One bash session, the blocks in reading order; each says where it starts (on stderr).
            // The server first, its wall clock from Thursday 2026-11-26 12:00 UTC (monotonic time untouched: timers
            // run); T, R and P are what it printed, as a reader copies them.
            var script = """
                set -euo pipefail
                # (Under timeout, which also bounds it: started straight from bash with libfaketime preloaded, the
                # binary saw no arguments and printed its help.)
                LD_PRELOAD="$FAKETIME_LIBRARY" FAKETIME="@2026-11-26 12:00:00" TZ=UTC timeout 1800 "$ALLORESTO_BIN" serve --demo \\
                  > server.out 2> server.err < /dev/null &
                SERVER=$!
                trap 'kill -KILL $(pgrep -P $SERVER) $SERVER 2>/dev/null || true' EXIT
                for _ in $(seq 600); do grep -q 'curl' server.out && break; kill -0 $SERVER; sleep 0.1; done
                T=$(awk '/agent token/ {print $4; exit}' server.out)
                R=$(awk '/restaurant id/ {print $4; exit}' server.out)
                P=$(awk '/owner password/ {print $3; exit}' server.out)
                for _ in $(seq 600); do command curl -s -o /dev/null "http://127.0.0.1:\(port)/health" && break; kill -0 $SERVER; sleep 0.1; done
                echo "T=$T R=$R" >&2
                curl() { local a=(); for x in "$@"; do a+=("${x//localhost:3000/localhost:\(port)}"); done; command curl -sS --fail-with-body --max-time 120 "${a[@]}" || { echo "failed: curl $*" >&2; return 1; }; echo; }

                """
            let shell = try Self.blocks().filter { $0.language == "sh" }
            for b in shell {
                script += "echo '@@ \(b.page):\(b.line)' >&2\n"
                script += b.text.replacingOccurrences(of: "swift run alloresto", with: "\"$ALLORESTO_BIN\"") + "\n"
            }
            script += "echo '@@ done' >&2\n"
            let run = try await ChildProcess.run(
                "/bin/bash", ["-c", script],
                environment: env.merging(["FAKETIME_LIBRARY": try #require(Self.faketime), "ALLORESTO_BIN": binary.path]) { $1 }, directory: dir)
            let stdout = String(decoding: run.stdout, as: UTF8.self), stderr = String(decoding: run.stderr, as: UTF8.self)
            let failedAt = stderr.components(separatedBy: "\n").last { $0.hasPrefix("@@ ") } ?? "?"
            let server = ["server.out", "server.err"].map { (try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) ?? "" }.joined(separator: "\n")
            #expect(run.status == 0 && failedAt == "@@ done",
                    "the block at \(failedAt.dropFirst(3)) failed:\n\(stderr.suffix(3000))\n\(stdout.suffix(3000))\nserver: \(server.suffix(2000))")
            // What the pages say the answers are (Thursday 13:00 in Paris).
            #expect(stdout.contains(#""order_number":2"#) && stdout.contains("Commande numéro 2 enregistrée : 34 euros 50"), "\(stdout.prefix(4000))")
            #expect(stdout.contains(#""code":"order_in_progress""#))
            #expect(stdout.contains("C'est noté : une table pour 4 personnes"))
            #expect(stdout.contains("Imported \"") && stdout.contains("Admin ops@example.com created."))
        }
    }
}
