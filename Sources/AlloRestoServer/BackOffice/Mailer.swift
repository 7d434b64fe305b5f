import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// One e-mail: plain text, UTF-8.
public struct MailMessage: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String

    public init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }
}

/// Sends the back office's e-mails (invitations, password resets).
public protocol Mailer: Sendable {
    func send(_ message: MailMessage) async throws
}

/// Why a mail could not be sent.
public struct MailError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Where mail goes: `SMTP_URL` — `smtp://[user:password@]host[:port]` (port 25; STARTTLS required: links to
/// accounts never travel in clear), `smtp+starttls://…` (port 587, the same), `smtps://…` (port 465, TLS from the
/// first byte); `?tls=none` sends in clear, for a relay on the same machine only.
/// `?from=` sets the sender (default `AlloResto <no-reply@host>`). The server's certificate is checked against the
/// system's trust store (`?ca=/path.pem` for a private one).
public struct SMTPSettings: Sendable, Equatable {
    public enum Security: String, Sendable { case plaintext, starttls, tls }
    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var from: String
    public var caFile: String?

    /// Reads an `SMTP_URL`; nil with the reason when it is not one.
    public static func parse(_ text: String) throws -> SMTPSettings {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw MailError(description: "SMTP_URL: expected smtp://[user:password@]host[:port] (or smtp+starttls://, smtps://)")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        var security: Security
        switch scheme {
        case "smtp", "smtp+starttls": security = .starttls
        case "smtps": security = .tls
        default: throw MailError(description: "SMTP_URL: the scheme must be smtp, smtp+starttls or smtps")
        }
        if query["tls"]?.lowercased() == "none" {
            guard scheme == "smtp" else { throw MailError(description: "SMTP_URL: tls=none only with smtp://") }
            security = .plaintext
        }
        let port = url.port ?? (security == .tls ? 465 : scheme == "smtp+starttls" ? 587 : 25)
        guard (1...65_535).contains(port) else { throw MailError(description: "SMTP_URL: the port must be 1…65535") }
        // URLComponents gives user and password already decoded.
        return SMTPSettings(host: host, port: port, security: security, username: url.user, password: url.password,
                            from: query["from"] ?? "AlloResto <no-reply@\(host)>", caFile: query["ca"])
    }
}

/// An SMTP client (RFC 5321: EHLO, STARTTLS RFC 3207, AUTH PLAIN RFC 4954, MAIL/RCPT/DATA with dot-stuffing), one
/// connection per mail. No library for SMTP exists among the project's packages; this is the smallest client that
/// real submission servers accept.
public struct SMTPMailer: Mailer {
    public let settings: SMTPSettings
    let group: any EventLoopGroup
    let timeout: TimeAmount

    public init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(15)) {
        self.settings = settings
        self.group = group
        self.timeout = timeout
    }

    public func send(_ message: MailMessage) async throws {
        guard let to = Self.address(message.to), let from = Self.address(settings.from) else { throw MailError(description: "a recipient and a sender address") }
        let replies = ReplyQueue()
        let tls = try makeTLS()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { [settings] channel in
                channel.eventLoop.makeCompletedFuture {
                    if settings.security == .tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: settings.host)) }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(queue: replies))
                }
            }
            .connect(host: settings.host, port: settings.port).get()
        defer { channel.close(promise: nil) }
        func expect(_ codes: ClosedRange<Int>, after command: String?) async throws -> SMTPReply {
            if let command {
                var buffer = channel.allocator.buffer(capacity: command.utf8.count + 2)
                buffer.writeString(command + "\r\n")
                try await channel.writeAndFlush(buffer)
            }
            let reply = try await replies.next(timeout: timeout, on: channel.eventLoop)
            guard codes.contains(reply.code) else {
                // The command is named without its arguments (AUTH carries the password).
                let verb = command.map { String($0.prefix { $0 != " " }) } ?? "greeting"
                throw MailError(description: "SMTP \(verb): \(reply.code) \(reply.lines.joined(separator: " "))")
            }
            return reply
        }
        _ = try await expect(200...299, after: nil)
        let me = "alloresto.local"
        let hello = try await expect(200...299, after: "EHLO \(me)")
        let offersTLS = hello.lines.contains { $0.uppercased().hasPrefix("STARTTLS") }
        var encrypted = settings.security == .tls
        if settings.security == .starttls {
            guard offersTLS else { throw MailError(description: "SMTP: the server does not offer STARTTLS (SMTP_URL ?tls=none sends in clear)") }
            _ = try await expect(200...299, after: "STARTTLS")
            // Nothing may have come after the 220 before TLS starts (RFC 3207 §6; injected replies, CVE-2011-0411).
            guard replies.isEmpty else { throw MailError(description: "SMTP: data received before TLS started") }
            try await channel.pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: settings.host), position: .first)
            _ = try await expect(200...299, after: "EHLO \(me)")
            encrypted = true
        }
        if let user = settings.username {
            guard encrypted else { throw MailError(description: "SMTP: refusing to send a password without TLS") }
            let token = Data(("\u{0}" + user + "\u{0}" + (settings.password ?? "")).utf8).base64EncodedString()
            _ = try await expect(235...235, after: "AUTH PLAIN \(token)")
        }
        _ = try await expect(250...250, after: "MAIL FROM:<\(from)>")
        _ = try await expect(250...251, after: "RCPT TO:<\(to)>")
        _ = try await expect(354...354, after: "DATA")
        _ = try await expect(250...250, after: Self.data(message, from: settings.from, date: Date()) + "\r\n.")
        _ = try? await expect(200...299, after: "QUIT")
    }

    func makeTLS() throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        if let ca = settings.caFile { config.trustRoots = .file(ca) }
        return try NIOSSLContext(configuration: config)
    }

    /// The address inside `Name <a@b>`, or the text itself; nil when it has no `@` or carries a line break.
    static func address(_ text: String) -> String? {
        var t = Substring(text)
        if let lt = t.lastIndex(of: "<"), let gt = t[lt...].firstIndex(of: ">") { t = t[t.index(after: lt)..<gt] }
        let a = t.trimmingCharacters(in: .whitespaces)
        guard a.contains("@"), !a.contains(where: { $0.isNewline || $0 == "<" || $0 == ">" }) else { return nil }
        return a
    }

    /// The message as sent after DATA: headers (the subject encoded per RFC 2047), a UTF-8 text body in base64
    /// lines, so no line needs dot-stuffing and none is over 76 characters.
    static func data(_ message: MailMessage, from: String, date: Date) -> String {
        let subject = "=?UTF-8?B?" + Data(message.subject.utf8).base64EncodedString() + "?="
        let body = Data(message.text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let rfc5322Date: String = {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
            return f.string(from: date)
        }()
        let headers = [
            "From: \(from.filter { !$0.isNewline })", "To: <\(address(message.to) ?? "")>", "Subject: \(subject)", "Date: \(rfc5322Date)",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }
}

/// A complete SMTP reply: its code and text lines (a multi-line reply is `250-…` lines then `250 …`).
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Replies as they complete, to whoever waits for the next one.
final class ReplyQueue: Sendable {
    private let state = NIOLockedValueBox<(ready: [Result<SMTPReply, any Error>], waiter: CheckedContinuation<SMTPReply, any Error>?)>(([], nil))

    /// Whether no reply is waiting to be read.
    var isEmpty: Bool { state.withLockedValue { $0.ready.isEmpty } }

    func push(_ result: Result<SMTPReply, any Error>) {
        let waiter: CheckedContinuation<SMTPReply, any Error>? = state.withLockedValue { s in
            if let w = s.waiter { s.waiter = nil; return w }
            s.ready.append(result)
            return nil
        }
        waiter?.resume(with: result)
    }

    func next(timeout: TimeAmount, on loop: any EventLoop) async throws -> SMTPReply {
        let timer = loop.scheduleTask(in: timeout) { self.push(.failure(MailError(description: "SMTP: no reply in time"))) }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let ready: Result<SMTPReply, any Error>? = state.withLockedValue { s in
                if !s.ready.isEmpty { return s.ready.removeFirst() }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// Assembles reply lines into replies (RFC 5321 §4.2).
final class SMTPReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let queue: ReplyQueue
    var pending = SMTPReply(code: 0, lines: [])

    init(queue: ReplyQueue) { self.queue = queue }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let line = (buffer.readString(length: buffer.readableBytes) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        let chars = Array(line)
        guard chars.count >= 3, let code = Int(String(chars[0..<3])), (200...599).contains(code) else {
            queue.push(.failure(MailError(description: "SMTP: unreadable reply")))
            return
        }
        pending.code = code
        pending.lines.append(chars.count > 4 ? String(chars[4...]) : "")
        if chars.count > 3, chars[3] == "-" { return }
        queue.push(.success(pending))
        pending = SMTPReply(code: 0, lines: [])
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        queue.push(.failure(MailError(description: "SMTP: \(error)")))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        queue.push(.failure(MailError(description: "SMTP: connection closed")))
    }
}
