import AlloRestoStore
import Crypto
import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOCore

/// Admin accounts (bcrypt passwords) and their sessions (random cookie secrets stored as SHA-256, in the database so
/// any replica recognizes them).
public enum AdminAccounts {
    public static let cookieName = "alloresto_session"
    public static let sessionLifetimeSeconds = 12 * 3600
    public static var sessionLifetime: TimeInterval { TimeInterval(sessionLifetimeSeconds) }

    /// Creates an admin, or changes the password of an existing one.
    public static func createOrUpdate(email: String, password: String, cost: UInt8 = 12, on database: AlloRestoDatabase) async throws -> Bool {
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard normalized.contains("@"), normalized.count <= 254 else { throw StoreError.invalid("email: \"\(email)\" is not an email address") }
        guard password.count >= 10 else { throw StoreError.invalid("password: at least 10 characters") }
        return try await Accounts.setAdminPassword(address: normalized, passwordHash: Bcrypt.hash(password, cost: cost), on: database.db)
    }

    /// What a login attempt gave.
    enum LoginOutcome: Sendable {
        case loggedIn(secret: String)
        case refused
        /// The password hasher's queue is full (a flood): try again shortly.
        case busy
    }

    /// Checks credentials (bcrypt on `hasher`'s threads); on success stores a new session and returns its cookie
    /// secret, deleting the session the browser had (`previousSecret`): the session id is rotated at login.
    static func login(email: String, password: String, previousSecret: String?, now: Date, hasher: PasswordHasher, on database: AlloRestoDatabase) async throws -> LoginOutcome {
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        let user = try await Accounts.account(keyedBy: normalized, on: database.db)
        // Verify against a dummy hash when the user is unknown so both paths cost the same.
        let hash = user?.passwordHash ?? "$2b$12$C6UzMDM.H6dfI/f/IKcEe.4WQ7b5s4Gf1x3/lRqjQ8tqk6C9Jx1Gm"
        guard let verified = try await hasher.verify(password, hash: hash) else { return .busy }
        guard verified, let user else { return .refused }
        if let previousSecret { try await logout(secret: previousSecret, on: database) }
        return .loggedIn(secret: try await startSession(userId: user.id!, now: now, on: database))
    }

    /// A new session for an account; returns its cookie secret (only its SHA-256 is stored).
    static func startSession(userId: UUID, now: Date, on database: AlloRestoDatabase) async throws -> String {
        let secret = AgentTokens.generate().replacingOccurrences(of: "art_", with: "ses_")
        try await Accounts.startSession(userId: userId, tokenHash: AgentTokens.hash(secret), expiresAt: now.addingTimeInterval(sessionLifetime), on: database.db)
        return secret
    }

    /// The session cookie (HttpOnly, SameSite=Lax, Secure behind https).
    static func cookie(_ secret: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: secret, maxAge: sessionLifetimeSeconds, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// Who holds this session cookie secret, if its session exists and has not expired at `now`.
    static func identity(secret: String, now: Date, on database: AlloRestoDatabase) async throws -> AdminIdentity? {
        guard let (session, user) = try await Accounts.session(tokenHash: AgentTokens.hash(secret), now: now, on: database.db) else { return nil }
        return AdminIdentity(userId: user.id!, email: user.email, platformAdmin: user.isPlatformAdmin,
                             memberships: try await Accounts.memberships(userId: user.id!, on: database.db), sessionHash: session.tokenHash)
    }

    /// Ends the session of this cookie secret.
    static func logout(secret: String, on database: AlloRestoDatabase) async throws {
        try await Accounts.endSession(tokenHash: AgentTokens.hash(secret), on: database.db)
    }
}

/// Lets through only logged-in admins: pages redirect to the login page, APIs answer 401 JSON.
public struct AdminGuard: RouterMiddleware {
    public typealias Context = AppContext
    let services: AppServices

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let secret = request.cookies[AdminAccounts.cookieName]?.value,
           let admin = try await AdminAccounts.identity(secret: secret, now: services.now(), on: services.database) {
            context.manager = .admin(admin)
            return try await CSRF.$current.withValue(CSRF.token(forSession: secret)) { try await next(request, context) }
        }
        if request.uri.path.hasPrefix("/api/") {
            // A valid key or agent token is refused by name (403); no credential at all is 401.
            throw try await Manager.refusal(request, services: services, otherwise: APIError(.unauthorized, code: "admin_login_required", "Connexion administrateur requise."))
        }
        let target = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        let next = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? "/admin"
        return Response(status: .seeOther, headers: [.location: "/login?next=\(next)"])
    }
}

/// Lets through the platform's admins only (voice servers, provisioning): another account gets 403 (a page says so
/// in words); without a session, as `AdminGuard`.
public struct PlatformGuard: RouterMiddleware {
    public typealias Context = AppContext
    let services: AppServices

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        try await AdminGuard(services: services).handle(request, context: context) { request, context in
            guard context.admin?.platformAdmin == true else {
                throw APIError(.forbidden, code: "role_not_allowed", "Réservé aux administrateurs de la plateforme.")
            }
            return try await next(request, context)
        }
    }
}

/// Lets through the managers of the management APIs: an admin session or a restaurant's management key (the
/// restaurant is then checked by each route); 401 JSON otherwise. The voice agent's token is refused here (403).
struct ManagerGuard: RouterMiddleware {
    typealias Context = AppContext
    let services: AppServices

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let manager = try await Manager.resolve(request, services: services) {
            context.manager = manager
            return try await next(request, context)
        }
        throw try await Manager.refusal(request, services: services,
                                        otherwise: APIError(.unauthorized, code: "admin_login_required", "Connexion administrateur ou clé de gestion requise."))
    }
}

/// Login and logout pages, and the admin home.
struct AdminRoutes {
    let services: AppServices
    let pages: Pages

    struct LogoutForm: Decodable {
        let _csrf: String?
    }

    struct LoginForm: Decodable {
        let email: String
        let password: String
        let next: String?
    }

    func register(on router: Router<AppContext>) {
        router.get("/login") { request, _ in
            let next = request.uri.queryParameters["next"].map(String.init) ?? "/admin"
            var data: [String: Any] = ["title": "Connexion", "next": safeNext(next)]
            if request.uri.queryParameters["reset"] != nil { data["notice"] = "Mot de passe changé : connectez-vous avec le nouveau." }
            return pages.html(pages.render("login", data))
        }
        router.post("/login") { request, context in try await self.login(request, context: context) }
        router.post("/logout") { request, context in
            if let secret = request.cookies[AdminAccounts.cookieName]?.value, !secret.isEmpty {
                // The form carries the session's token (a foreign page cannot log the admin out).
                let form = try? await URLEncodedFormDecoder().decode(LogoutForm.self, from: request, context: context)
                try CSRF.verifyForm(form?._csrf, cookie: secret)
                try await AdminAccounts.logout(secret: secret, on: services.database)
            }
            var response = Response(status: .seeOther, headers: [.location: "/login"])
            response.setCookie(Cookie(name: AdminAccounts.cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax))
            return response
        }

        let admin = router.group().add(middleware: AdminGuard(services: services))
        admin.get("/admin") { _, context in try await self.home(context) }
        admin.get("/api/admin/me") { _, context -> [String: String] in
            ["email": context.admin!.email]
        }
    }

    /// Only same-site paths are accepted as a post-login destination (no open redirect).
    func safeNext(_ next: String) -> String {
        next.hasPrefix("/") && !next.hasPrefix("//") && !next.contains("\\") ? next : "/admin"
    }

    func login(_ request: Request, context: AppContext) async throws -> Response {
        let form: LoginForm
        do {
            form = try await URLEncodedFormDecoder().decode(LoginForm.self, from: request, context: context)
        } catch {
            return pages.html(pages.render("login", ["title": "Connexion", "error": "Saisissez votre e-mail et votre mot de passe.", "next": "/admin"]), status: .badRequest)
        }
        let next = safeNext(form.next ?? "/admin")
        let throttle = services.loginThrottle
        func tooMany(_ seconds: Int) -> Response {
            var r = pages.html(pages.render("login", [
                "title": "Connexion", "email": form.email, "next": next,
                "error": "Trop de tentatives : réessayez dans \(seconds) seconde\(seconds > 1 ? "s" : "").",
            ]), status: .tooManyRequests)
            r.headers[.retryAfter] = String(seconds)
            return r
        }
        if let wait = await throttle.retryAfter(email: form.email, ip: context.remoteIP, now: services.now()) {
            context.logger.notice("admin login throttled")
            return tooMany(wait)
        }
        let outcome = try await AdminAccounts.login(
            email: form.email, password: form.password, previousSecret: request.cookies[AdminAccounts.cookieName]?.value,
            now: services.now(), hasher: services.passwordHasher, on: services.database)
        let secret: String
        switch outcome {
        case .busy:
            return tooMany(1)
        case .refused:
            context.logger.notice("admin login refused")
            await throttle.failed(email: form.email, ip: context.remoteIP, now: services.now())
            return pages.html(pages.render("login", ["title": "Connexion", "error": "E-mail ou mot de passe incorrect.", "email": form.email, "next": next]), status: .unauthorized)
        case .loggedIn(let s):
            await throttle.succeeded(email: form.email)
            secret = s
        }
        var response = Response(status: .seeOther, headers: [.location: next])
        response.setCookie(AdminAccounts.cookie(secret, secure: services.configuration.publicURL.hasPrefix("https://")))
        return response
    }

    func home(_ context: AppContext) async throws -> Response {
        let identity = context.admin!
        // An owner or staff member sees their restaurants only (one: straight to its page).
        if !identity.platformAdmin, identity.memberships.count == 1, let only = identity.memberships.keys.first {
            return Response(status: .seeOther, headers: [.location: "/admin/r/\(only.uuidString.lowercased())"])
        }
        let rows = try await RestaurantBook.list(ids: identity.platformAdmin ? nil : Array(identity.memberships.keys), on: services.database.db)
        let list: [[String: Any]] = rows.map { r in
            [
                "id": r.id!.uuidString.lowercased(), "name": r.name, "city": r.city ?? "", "active": r.isActive,
                "agent": r.agentId ?? "non provisionné", "delivery": r.deliveryEnabled, "reservation": r.reservationEnabled,
                "role": identity.platformAdmin ? "administrateur" : identity.memberships[r.id!]?.label ?? "",
            ]
        }
        return pages.html(pages.render("restaurants", [
            "title": "Restaurants", "email": identity.email, "restaurants": list, "empty": list.isEmpty, "platform": identity.platformAdmin,
        ]))
    }
}
