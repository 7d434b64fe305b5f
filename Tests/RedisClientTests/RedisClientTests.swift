import Foundation
import NIOCore
import RedisClient
import Testing

/// Against a real `redis-server` started by the test on a free port (Debian `redis-server`); skipped locally when
/// it is not installed, a failure in CI.
enum RedisServer {
    static var binary: String? { ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) } }
    static var enabled: Bool { binary != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    static func freePort() -> Int { Int.random(in: 20000...29999) }

    /// Starts a throwaway server; `body` gets its URL; the server is stopped after.
    static func with<T>(port: Int = freePort(), _ body: (String, Process) async throws -> T) async throws -> T {
        let p = try start(port: port)
        defer { stop(p) }
        return try await body("redis://127.0.0.1:\(port)", p)
    }

    /// Stops a server and waits for it to be gone (polling: `waitUntilExit` can hang on a concurrency thread).
    static func stop(_ p: Process, port: Int? = nil) {
        kill(p.processIdentifier, SIGKILL)
        // Gone when its port refuses connections (Process.isRunning is not reliable off the main run loop).
        if let port { for _ in 0..<100 where (try? Socket.probe(port: port)) == true { Thread.sleep(forTimeInterval: 0.05) } }
    }

    static func start(port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary ?? "/usr/bin/redis-server")
        p.arguments = ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Ready when it accepts connections.
        for _ in 0..<100 {
            if let c = try? Socket.probe(port: port), c { return p }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return p
    }
}

enum Socket {
    static func probe(port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
    }
}

@Suite(.serialized) struct RedisClientTests {
    @Test func parsesIncrementallyAndRejectsGarbage() throws {
        var buffer = ByteBuffer(string: "*2\r\n$5\r\nhel")
        #expect(try RESP.parse(&buffer) == nil)
        #expect(buffer.readableBytes == 11)  // nothing consumed
        buffer.writeString("lo\r\n:42\r\n+OK\r\n")
        #expect(try RESP.parse(&buffer) == .array([.bulk(Array("hello".utf8)), .integer(42)]))
        #expect(try RESP.parse(&buffer) == .simple("OK"))
        var nulls = ByteBuffer(string: "$-1\r\n*-1\r\n-ERR wrong\r\n")
        #expect(try RESP.parse(&nulls) == .bulk(nil))
        #expect(try RESP.parse(&nulls) == .array(nil))
        #expect(try RESP.parse(&nulls) == .error("ERR wrong"))
        var bad = ByteBuffer(string: "?x\r\n")
        #expect(throws: RESPError.self) { try RESP.parse(&bad) }
        var out = ByteBuffer()
        RESP.command(["LPUSH", "q", "é"], into: &out)
        #expect(String(buffer: out) == "*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$2\r\né\r\n")
    }

    @Test(.enabled(if: RedisServer.enabled)) func pushPopAndRecoverAfterARestart() async throws {
        let port = RedisServer.freePort()
        var server = try RedisServer.start(port: port)
        let url = "redis://127.0.0.1:\(port)"
        let link = RedisLink(url: url)
        #expect(await link.healthy())
        #expect(try await link.send(["LPUSH", "queue:test", #"{"callId":"a"}"#]) == .integer(1))
        #expect(try await link.send(["LPUSH", "queue:test", #"{"callId":"b"}"#]) == .integer(2))
        let popped = try await link.send(["BRPOP", "queue:test", "1"])
        #expect(popped == .array([.bulk(Array("queue:test".utf8)), .bulk(Array(#"{"callId":"a"}"#.utf8))]))
        await #expect(throws: RESPError.self) { try await link.send(["NOSUCHCOMMAND"]) }
        #expect(await link.healthy())  // an error answer keeps the connection

        // Redis goes away: commands fail fast; it comes back: the link reconnects by itself.
        RedisServer.stop(server, port: port)
        #expect(await !link.healthy())
        await #expect(throws: (any Error).self) { try await link.send(["LPUSH", "queue:test", "x"]) }
        server = try RedisServer.start(port: port)
        defer { RedisServer.stop(server) }
        #expect(await link.healthy())
        #expect(try await link.send(["LLEN", "queue:test"]) == .integer(0))  // a fresh server (no persistence)
        await link.close()
    }
}

