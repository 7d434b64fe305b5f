import AlloRestoCore
import AlloRestoStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The back office's defences on every response and every state-changing request (README "Security"):
///
/// - headers: `Content-Security-Policy` (no inline script, `frame-ancestors 'none'`), `X-Frame-Options: DENY`,
///   `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (a page's own form posts carry its real `Origin`, which `no-referrer` would turn into `null`; nothing leaves for other sites);
/// - CSRF: a POST/PUT/PATCH/DELETE that carries the admin session cookie (and no `Authorization`/`X-API-Key`
///   credential, which a foreign page cannot set) is accepted only with an `Origin` — or, without one, a `Referer` —
///   of the server's own origin (`ALLORESTO_PUBLIC_URL`, or the `Host` it was reached at); with neither it is
///   refused (403 `csrf_origin`). HTML forms (logout) must also carry the session's `_csrf` token (403 `csrf_token`);
///   JSON APIs refuse any other content type (415 `unsupported_media_type`), so a `text/plain` body cannot pose
///   as JSON with a session cookie (without one, `text/plain` is read as JSON: a server's bare `fetch`). A login posted from another origin is refused the same way.
struct SecurityMiddleware: RouterMiddleware {
    typealias Context = AppContext
    /// `scheme://host[:port]` of `ALLORESTO_PUBLIC_URL`.
    let publicOrigin: String?

    static let csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    init(publicURL: String) {
        publicOrigin = Self.origin(of: publicURL)
    }

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            try check(request)
            response = try await next(request, context)
        } catch let e as APIError {
            response = try e.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.csp
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        return response
    }

    func check(_ request: Request) throws {
        switch request.method {
        case .get, .head, .options: return
        default: break
        }
        let path = request.uri.path
        let isAPI = path.hasPrefix("/api/")
        let cookie = request.cookies[AdminAccounts.cookieName]?.value
        // A server-to-server `fetch` of a string body says `text/plain` (sip-agent-server's webhook may): without a
        // session cookie there is no CSRF to fear, so that one is read as JSON; with a cookie it is refused.
        if isAPI, let type = request.headers[.contentType], !Self.isJSON(type), !(Self.isPlainText(type) && (cookie ?? "").isEmpty) {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "Cette API n'accepte que du JSON (Content-Type: application/json).")
        }
        let headerCredential = AgentAuth.headerToken(request) != nil
        // With the session cookie, a body must say it is JSON: a body without a Content-Type is refused too.
        if isAPI, request.headers[.contentType] == nil, !(cookie ?? "").isEmpty, !headerCredential, Self.hasBody(request) {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "Cette API n'accepte que du JSON (Content-Type: application/json).")
        }
        if Self.accountForms.contains(path) || path == "/logout" {
            // The forms are small: a body announced above the limit is refused before anything reads it (a
            // chunked one is cut at the same limit by the form decoder).
            if let length = request.headers[.contentLength].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), length > 64 * 1024 {
                throw APIError(.contentTooLarge, code: "body_too_large", "Requête trop volumineuse (64 Ko au plus).")
            }
        }
        if Self.accountForms.contains(path) {
            // Login CSRF: a foreign page must not log the browser into another account (nor open one from an
            // invitation, nor set a password from a reset link).
            if let claimed = claimedOrigin(request), !isOwn(claimed, request) { throw Self.originRefused }
            return
        }
        guard let cookie, !cookie.isEmpty, !headerCredential else { return }
        // (A form's `_csrf` is checked by the route that reads the form: the body is not read here.)
        guard let claimed = claimedOrigin(request), isOwn(claimed, request) else { throw Self.originRefused }
    }

    /// The forms that open a session without having one: login, accepting an invitation, the password links.
    static let accountForms: Set<String> = ["/login", "/invite", "/password/forgot", "/password/reset"]

    /// Whether the request carries a body (a length above zero, or a chunked one).
    static func hasBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return length.trimmingCharacters(in: .whitespaces) != "0" }
        return request.headers[.transferEncoding] != nil
    }

    static let originRefused = APIError(.forbidden, code: "csrf_origin",
                                        "Requête refusée : elle ne vient pas du back-office AlloResto (en-tête Origin ou Referer manquant ou étranger).")

    static func isPlainText(_ contentType: String) -> Bool {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == "text/plain"
    }

    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }

    /// The origin the browser says the request comes from: `Origin`, else the origin of `Referer`.
    func claimedOrigin(_ request: Request) -> String? {
        if let o = request.headers[.origin]?.trimmingCharacters(in: .whitespaces), !o.isEmpty { return o == "null" ? "null" : Self.origin(of: o) ?? "null" }
        if let r = request.headers[.referer], let o = Self.origin(of: r) { return o }
        return nil
    }

    func isOwn(_ origin: String, _ request: Request) -> Bool {
        if origin == publicOrigin { return true }
        guard let host = request.head.authority?.lowercased() else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// `scheme://host[:port]` of a URL, lowercased, default ports dropped; nil when it is not an http(s) URL.
    static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host?.lowercased(), !host.isEmpty else { return nil }
        let port = c.port.flatMap { (scheme == "http" && $0 == 80) || (scheme == "https" && $0 == 443) ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }
}

/// The per-session token HTML forms carry (`_csrf`), derived from the session secret (a page never sees the
/// secret itself). Set for the duration of an admin request by `AdminGuard`, so every page renders it.
enum CSRF {
    @TaskLocal static var current: String?

    static func token(forSession secret: String) -> String {
        String(Hex.lowercase(SHA256.hash(data: Data(("csrf|" + secret).utf8))).prefix(32))
    }

    /// Checks a form's `_csrf` against the session of `cookie`; 403 `csrf_token` when it differs or is missing.
    static func verifyForm(_ sent: String?, cookie: String) throws {
        guard let sent, AgentTokens.constantTimeEquals(sent, token(forSession: cookie)) else {
            throw APIError(.forbidden, code: "csrf_token", "Formulaire expiré ou étranger : rechargez la page et recommencez.")
        }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
