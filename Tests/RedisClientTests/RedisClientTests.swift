import Foundation
import NIOCore
import RedisClient
import AlloRestoTestSupport
import Testing

/// Against a real `redis-server` started by the test on a free port (Debian `redis-server`); skipped locally when
/// it is not installed, a failure in CI.
enum RedisServer {
    static var enabled: Bool { LocalServers.exists("/usr/bin/redis-server") || ProcessInfo.processInfo.environment["CI"] != nil }
    static func freePort() -> Int { LocalServers.freePort() }
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
        var server = try LocalServers.startRedis(port: port)
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
        LocalServers.stop(server, port: port)
        #expect(await !link.healthy())
        await #expect(throws: (any Error).self) { try await link.send(["LPUSH", "queue:test", "x"]) }
        server = try LocalServers.startRedis(port: port)
        defer { LocalServers.stop(server, port: port) }
        #expect(await link.healthy())
        #expect(try await link.send(["LLEN", "queue:test"]) == .integer(0))  // a fresh server (no persistence)
        await link.close()
    }
}

