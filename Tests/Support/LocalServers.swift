import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Real local servers the tests start and stop themselves (`redis-server`), and a TCP readiness probe.
public enum LocalServers {
    public static func exists(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        guard let fd = connect(port: port) else { return false }
        close(fd)
        return true
    }

    /// A TCP socket connected to 127.0.0.1:`port` (the caller closes it), or nil when nothing accepts.
    public static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        if ok { return fd }
        close(fd)
        return nil
    }

    /// The status of `GET path` over a new TCP connection of its own (never a pooled one), or nil when no status
    /// line came within `seconds`. The connection is read to its end before it is closed.
    public static func httpStatus(port: Int, path: String = "/health", within seconds: Double) -> Int? {
        guard let fd = connect(port: port) else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return nil }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        let head = String(decoding: received.prefix(64), as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 "), let code = Int(head.dropFirst(9).prefix(3)) else { return nil }
        return code
    }

    /// A connection the server has surely accepted: one keep-alive `GET path` answered on it, then left open and
    /// idle (the caller closes it); nil when no answer came within `seconds`.
    public static func answeredConnection(port: Int, path: String = "/health", within seconds: Double = 10) -> Int32? {
        guard let fd = connect(port: port) else { return nil }
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        if send(fd, request, request.count, 0) == request.count {
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received.append(contentsOf: buffer[0..<n])
                let text = String(decoding: received, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { continue }
                let length = text[..<end.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[end.upperBound...].utf8.count >= length { return fd }
            }
        }
        close(fd)
        return nil
    }

    /// The ports handed out by `freePort` and `freeSIPPort`: taken in turn from below the kernel's ephemeral range
    /// (32768–60999 on Linux), so an outgoing connection of another test — an HTTP client, a database connection —
    /// can never be given the same port between the check and the bind (it happened with kernel-chosen ports), and
    /// two tests of this process never get the same one (it happened with random picks).
    static let portLock = NSLock()
    nonisolated(unsafe) static var nextPort = 15_000 + Int(getpid() % 150) * 100
    static func candidatePort() -> Int {
        portLock.lock()
        defer { portLock.unlock() }
        let p = nextPort
        nextPort = nextPort >= 32_000 ? 15_000 : nextPort + 1
        return p
    }

    static func tcpFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    /// A TCP port nothing listens on now (see `nextPort`).
    public static func freePort() -> Int {
        for _ in 0..<1000 {
            let p = candidatePort()
            if tcpFree(p) { return p }
        }
        return 0
    }

    /// An even UDP port whose next `count - 1` ports are free too (sipp's `-mp` binds RTP, RTCP and more from there),
    /// each checked by binding it; the sockets are closed before returning.
    public static func freeUDPPortBlock(count: Int = 4) -> Int {
        for _ in 0..<200 {
            // Consecutive ports from the same sequence as `freePort` (below the ephemeral range).
            var start = candidatePort()
            if start % 2 == 1 { start = candidatePort() }
            for _ in 1..<max(1, count) { _ = candidatePort() }
            guard start % 2 == 0, start + count <= 32_768 else { continue }
            var opened: [Int32] = []
            var ok = true
            for p in start..<(start + count) {
                let s = udpBind(p)
                if s.port == nil { ok = false; if s.fd >= 0 { close(s.fd) }; break }
                opened.append(s.fd)
            }
            for fd in opened { close(fd) }
            if ok { return start }
        }
        return freePort() / 2 * 2
    }

    /// A port free for both UDP and TCP, for a SIP endpoint (the bridge and sipp listen on both, or on the one
    /// their transport says): a port only checked on TCP may be a media socket's UDP port (see `nextPort`).
    public static func freeSIPPort() -> Int {
        for _ in 0..<1000 {
            let p = candidatePort()
            guard tcpFree(p) else { continue }
            let udp = udpBind(p)
            if udp.fd >= 0 { close(udp.fd) }
            if udp.port != nil { return p }
        }
        return freeUDPPortBlock(count: 1)
    }

    static func udpBind(_ port: Int) -> (fd: Int32, port: Int?) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return (fd, nil) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { return (fd, nil) }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// A throwaway `redis-server` on `port` (no persistence), ready when this returns.
    public static func startRedis(port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        p.arguments = ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        for _ in 0..<100 where !accepts(port: port) { Thread.sleep(forTimeInterval: 0.05) }
        return p
    }

    /// Kills a server and waits until its port refuses connections (Process.isRunning and waitUntilExit are not
    /// reliable off the main run loop).
    public static func stop(_ p: Process, port: Int) {
        kill(p.processIdentifier, SIGKILL)
        for _ in 0..<100 where accepts(port: port) { Thread.sleep(forTimeInterval: 0.05) }
    }
}

/// The `alloresto` executable built next to the test bundle (`swift test` builds it with the tests).
public enum BuiltBinary {
    public static var alloresto: URL {
        get throws {
            var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            candidates.append(Bundle.main.bundleURL)
            candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
            for dir in candidates {
                let url = dir.appendingPathComponent("alloresto")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "alloresto binary not found near \(candidates)"])
        }
    }

    /// Resident memory of a process in kB (`VmRSS` of /proc/PID/status), nil where there is no /proc.
    public static func residentKB(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}
