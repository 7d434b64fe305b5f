import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// Accounts by e-mail: invitations (an owner invites staff, a platform admin invites owners and admins), password
/// resets, the restaurant's team, and the audit log. Links are single-use, expire, and are stored hashed
/// (`Accounts`); they are mailed when `SMTP_URL` is set, otherwise shown to whoever invited (a reset link is then
/// only printed by `alloresto admin reset`, never shown on a page).
///
/// - `GET /api/members?restaurantId=` → `{success, members: [{userId, email, role}], invitations: [{email, role, expiresAt}]}`
/// - `POST /api/members {restaurantId, email, role: staff|owner}` → 201 `{success, email, role, mailed, link?}` (owner:
///   a platform admin only)
/// - `DELETE /api/members {restaurantId, userId}` → `{success}` (not the last owner)
/// - `POST /api/admin/invitations {email}` → 201 (a platform admin invites another)
/// - `GET /api/audit?restaurantId=&limit=` → `{success, entries: [{at, actor, action, detail}]}`; the platform's view
///   without `restaurantId`
/// - pages: `/invite/{token}`, `/password/forgot`, `/password/reset/{token}`, `/admin/r/{id}/team`,
///   `/admin/r/{id}/audit`, `/admin/audit`
struct AccountRoutes {
    let services: AppServices
    let pages: Pages

    func register(on router: Router<AppContext>) {
        router.get("/invite/:token") { request, context in try await self.invitePage(context) }
        router.post("/invite") { request, context in try await self.acceptInvite(request, context: context) }
        router.get("/password/forgot") { _, _ in pages.html(pages.render("forgot", ["title": "Mot de passe oublié", "mail": services.mailer != nil])) }
        router.post("/password/forgot") { request, context in try await self.forgot(request, context: context) }
        router.get("/password/reset/:token") { _, context in
            pages.html(pages.render("reset", ["title": "Nouveau mot de passe", "token": context.parameters.get("token") ?? ""]))
        }
        router.post("/password/reset") { request, context in try await self.reset(request, context: context) }
        // The logged-in account's own page: change the password (every other session ends).
        let anyAccount = router.group().add(middleware: AdminGuard(services: services))
        anyAccount.get("/admin/account") { request, context in
            let me = context.admin
            var user: AdminUser?
            if let me { user = try await Accounts.user(me.userId, on: services.database.db) }
            let q = request.uri.queryParameters
            let data: [String: Any] = [
                "title": "Mon compte", "email": me?.email ?? "", "done": q["changed"] != nil, "verified": user?.emailVerifiedAt != nil,
                "sent": q["sent"] != nil, "mail": services.mailer != nil,
            ]
            return pages.html(pages.render("account", data))
        }
        anyAccount.post("/admin/account/verify") { request, context in try await self.sendVerification(request, context: context) }
        router.get("/verify/:token") { _, context in
            do {
                let email = try await Accounts.verifyEmail(context.parameters.get("token") ?? "", now: services.now(), on: database.db)
                try await AuditLog.record(restaurantId: nil, actor: email, action: "account.verify", detail: "adresse e-mail vérifiée", now: services.now(), on: database.db)
                return pages.html(pages.render("verified", ["title": "Adresse vérifiée", "email": email]))
            } catch let e as Accounts.LinkError {
                return pages.html(pages.render("verified", ["title": "Lien inutilisable", "invalid": e.description]), status: .notFound)
            }
        }
        anyAccount.post("/admin/account/password") { request, context in try await self.changePassword(request, context: context) }

        let managers = router.group().add(middleware: ManagerGuard(services: services))
        managers.get("/api/members") { request, context in try await self.members(request, context: context) }
        managers.post("/api/members") { request, context in try await self.invite(request, context: context) }
        managers.delete("/api/members") { request, context in try await self.removeMember(request, context: context) }
        managers.get("/api/audit") { request, context in try await self.audit(request, context: context) }
        let platform = router.group().add(middleware: PlatformGuard(services: services))
        platform.post("/api/admin/invitations") { request, context in try await self.invitePlatformAdmin(request, context: context) }
        platform.get("/admin/audit") { _, context in try await self.platformAuditPage(context) }
        let signedIn = router.group("/admin/r").add(middleware: AdminGuard(services: services))
        signedIn.get(":id/team") { _, context in try await self.teamPage(context) }
        signedIn.get(":id/audit") { _, context in try await self.auditPage(context) }
    }

    var database: AlloRestoDatabase { services.database }

    // MARK: links

    /// The absolute URL of a link (`ALLORESTO_PUBLIC_URL`).
    func url(_ path: String) -> String {
        services.configuration.publicURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path
    }

    /// Mails an invitation, or returns the link to show when no mail is configured.
    func deliverInvitation(to email: String, secret: String, restaurant: String?, role: MemberRole?, by inviter: String) async throws -> (mailed: Bool, link: String?) {
        let link = url("/invite/\(secret)")
        guard let mailer = services.mailer else { return (false, link) }
        let what = restaurant.map { "rejoindre \($0) sur AlloResto (rôle : \(role?.label ?? "équipe"))" } ?? "administrer la plateforme AlloResto"
        let text = """
            Bonjour,

            \(inviter) vous invite à \(what).

            Pour choisir votre mot de passe et accéder au back-office, ouvrez ce lien (valable 7 jours, une seule fois) :
            \(link)

            Si vous ne vous attendiez pas à cette invitation, ignorez ce message.
            """
        do {
            try await mailer.send(MailMessage(to: email, subject: "Invitation AlloResto", text: text))
        } catch {
            services.logger.error("invitation mail failed", metadata: ["error": "\(error)"])
            throw APIError(.badGateway, code: "mail_failed", "L'e-mail n'a pas pu être envoyé ; réessayez plus tard.")
        }
        return (true, nil)
    }

    static func passwordProblem(_ password: String, _ again: String?) -> String? {
        if password.count < 10 { return "Le mot de passe doit faire au moins 10 caractères." }
        if password.count > 200 { return "Le mot de passe est trop long (200 caractères au plus)." }
        if let again, again != password { return "Les deux mots de passe ne sont pas identiques." }
        return nil
    }

    // MARK: invitation pages

    func invitePage(_ context: AppContext) async throws -> Response {
        let secret = context.parameters.get("token") ?? ""
        do {
            let link = try await Accounts.link(secret, kind: .invite, now: services.now(), on: database.db)
            let exists = try await Accounts.account(email: link.email, on: database.db) != nil
            let restaurant = try await link.restaurantId.asyncMap { try await Reports.restaurant($0, on: database.db)?.name }
            return pages.html(pages.render("invite", [
                "title": "Invitation", "token": secret, "email": link.email, "restaurant": (restaurant ?? nil) ?? "la plateforme",
                "role": link.role.flatMap(MemberRole.init(rawValue:))?.label ?? "administrateur", "exists": exists,
            ]))
        } catch let e as Accounts.LinkError {
            return pages.html(pages.render("invite", ["title": "Invitation", "invalid": e.description]), status: .notFound)
        }
    }

    struct InviteForm: Decodable {
        let token: String
        let password: String?
        let password2: String?
        /// An existing account proves it is theirs with its current password.
        let current: String?
    }

    /// Accepts an invitation. A new account chooses its password; an account that exists must give its current
    /// password (a link in a mailbox, or in the inviter's hands when no mail is configured, never opens an
    /// existing account by itself). Then signed in.
    func acceptInvite(_ request: Request, context: AppContext) async throws -> Response {
        guard let form = try? await URLEncodedFormDecoder().decode(InviteForm.self, from: request, context: context) else {
            return pages.html(pages.render("invite", ["title": "Invitation", "invalid": "Formulaire incomplet."]), status: .badRequest)
        }
        let now = services.now()
        let link: AccountToken
        do { link = try await Accounts.link(form.token, kind: .invite, now: now, on: database.db) } catch let e as Accounts.LinkError {
            return pages.html(pages.render("invite", ["title": "Invitation", "invalid": e.description]), status: .notFound)
        }
        func again(_ problem: String, exists: Bool, status: HTTPResponse.Status) -> Response {
            pages.html(pages.render("invite", ["title": "Invitation", "token": form.token, "email": link.email, "error": problem, "exists": exists]), status: status)
        }
        let existing = try await Accounts.account(email: link.email, on: database.db)
        var hash: String?
        if let existing {
            guard let current = form.current, !current.isEmpty else { return again("Saisissez le mot de passe de votre compte.", exists: true, status: .unprocessableContent) }
            if let wait = await services.loginThrottle.retryAfter(email: link.email, ip: context.remoteIP, now: now) {
                return again("Trop de tentatives : réessayez dans \(wait) s.", exists: true, status: .tooManyRequests)
            }
            guard let verified = try await services.passwordHasher.verify(current, hash: existing.passwordHash) else {
                return again("Trop de demandes : réessayez dans un instant.", exists: true, status: .tooManyRequests)
            }
            guard verified else {
                _ = await services.loginThrottle.failed(email: link.email, ip: context.remoteIP, now: now)
                return again("Mot de passe incorrect.", exists: true, status: .unauthorized)
            }
        } else {
            let password = form.password ?? ""
            if let problem = Self.passwordProblem(password, form.password2) { return again(problem, exists: false, status: .unprocessableContent) }
            guard let h = try await services.passwordHasher.hash(password, cost: services.configuration.bcryptCost) else {
                return again("Trop de demandes : réessayez dans un instant.", exists: false, status: .tooManyRequests)
            }
            hash = h
        }
        let joined: Accounts.Joined
        do {
            joined = try await Accounts.acceptInvitation(form.token, passwordHash: hash, existingAccountVerified: existing != nil, now: now, on: database.db)
        } catch let e as Accounts.LinkError {
            return pages.html(pages.render("invite", ["title": "Invitation", "invalid": e.description]), status: .notFound)
        }
        await services.audit(joined.restaurantId, by: joined.email, "member.join",
                             joined.role.map { "a rejoint l'équipe (\($0.label))" } ?? "est devenu administrateur de la plateforme")
        // Signed in at once: a fresh session.
        let secret = try await AdminAccounts.startSession(userId: joined.userId, now: now, on: database)
        var response = Response(status: .seeOther, headers: [.location: "/admin"])
        response.setCookie(AdminAccounts.cookie(secret, secure: services.configuration.publicURL.hasPrefix("https://")))
        return response
    }

    // MARK: password reset

    struct ForgotForm: Decodable { let email: String }

    /// Always the same answer, whether an account exists or not (no account discovery); the link goes by mail only.
    func forgot(_ request: Request, context: AppContext) async throws -> Response {
        let form = try? await URLEncodedFormDecoder().decode(ForgotForm.self, from: request, context: context)
        let throttle = services.loginThrottle
        // Its own bucket ("reset|…"): asking for links never locks the account's login.
        let bucket = "reset|" + (form?.email ?? "")
        if let wait = await throttle.retryAfter(email: bucket, ip: context.remoteIP, now: services.now()) {
            var r = pages.html(pages.render("forgot", ["title": "Mot de passe oublié", "error": "Trop de demandes : réessayez dans \(wait) s."]), status: .tooManyRequests)
            r.headers[.retryAfter] = String(wait)
            return r
        }
        // Each request counts like a failed login for this address: a flood of resets is throttled the same way.
        _ = await throttle.failed(email: bucket, ip: context.remoteIP, now: services.now())
        // The lookup and the mail happen after the answer, off the request: its timing says nothing about accounts.
        if let mailer = services.mailer, let email = form.flatMap({ Accounts.normalizedEmail($0.email) }) {
            let services = services, url = url("/password/reset/")
            Task.detached { await Self.mailReset(to: email, mailer: mailer, base: url, services: services) }
        }
        return pages.html(pages.render("forgot", [
            "title": "Mot de passe oublié", "sent": true, "mail": services.mailer != nil,
        ]))
    }

    /// Sends a reset link if the address has an account (nothing otherwise).
    static func mailReset(to email: String, mailer: any Mailer, base: String, services: AppServices) async {
        let database = services.database
        do {
            guard try await Accounts.account(email: email, on: database.db) != nil else { return }
            let secret = try await Accounts.issue(.reset, email: email, createdBy: nil, now: services.now(), on: database.db)
            let text = """
                Bonjour,

                Pour choisir un nouveau mot de passe AlloResto, ouvrez ce lien (valable une heure, une seule fois) :
                \(base)\(secret)

                Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.
                """
            try await mailer.send(MailMessage(to: email, subject: "Mot de passe AlloResto", text: text))
        } catch {
            services.logger.error("reset mail failed", metadata: ["error": "\(error)"])
        }
    }

    struct ResetForm: Decodable {
        let token: String
        let password: String
        let password2: String?
    }

    func reset(_ request: Request, context: AppContext) async throws -> Response {
        guard let form = try? await URLEncodedFormDecoder().decode(ResetForm.self, from: request, context: context) else {
            return pages.html(pages.render("reset", ["title": "Nouveau mot de passe", "invalid": "Formulaire incomplet."]), status: .badRequest)
        }
        if let problem = Self.passwordProblem(form.password, form.password2) {
            return pages.html(pages.render("reset", ["title": "Nouveau mot de passe", "token": form.token, "error": problem]), status: .unprocessableContent)
        }
        do { _ = try await Accounts.link(form.token, kind: .reset, now: services.now(), on: database.db) } catch let e as Accounts.LinkError {
            return pages.html(pages.render("reset", ["title": "Nouveau mot de passe", "invalid": e.description]), status: .notFound)
        }
        guard let hash = try await services.passwordHasher.hash(form.password, cost: services.configuration.bcryptCost) else {
            throw APIError(.tooManyRequests, code: "busy", "Trop de demandes : réessayez dans un instant.", headers: [.retryAfter: "1"])
        }
        let userId = try await Accounts.resetPassword(form.token, passwordHash: hash, now: services.now(), on: database.db)
        let email = try await Accounts.user(userId, on: database.db)?.email ?? "?"
        try await AuditLog.record(restaurantId: nil, actor: email, action: "account.password", detail: "mot de passe changé par lien (sessions fermées)",
                                  now: services.now(), on: database.db)
        return Response(status: .seeOther, headers: [.location: "/login?reset=1"])
    }

    struct VerifyForm: Decodable { let _csrf: String? }

    /// Mails the signed-in account a link proving the address is theirs (single use, 7 days). Without SMTP there
    /// is no mail to prove anything with: the page says so.
    func sendVerification(_ request: Request, context: AppContext) async throws -> Response {
        guard let me = context.admin else { throw APIError.forbidden("Un compte est nécessaire.") }
        let form = try? await URLEncodedFormDecoder().decode(VerifyForm.self, from: request, context: context)
        try CSRF.verifyForm(form?._csrf, cookie: request.cookies[AdminAccounts.cookieName]?.value ?? "")
        guard let mailer = services.mailer else {
            return pages.html(pages.render("account", ["title": "Mon compte", "email": me.email, "error": "Aucun serveur d'envoi de mails n'est configuré (SMTP_URL) : la vérification est impossible pour l'instant."]),
                              status: .serviceUnavailable)
        }
        let secret = try await Accounts.issue(.verify, email: me.email, createdBy: me.email, now: services.now(), on: database.db)
        let link = url("/verify/\(secret)")
        do {
            try await mailer.send(MailMessage(to: me.email, subject: "Vérifiez votre adresse AlloResto",
                                              text: "Bonjour,\n\nPour confirmer que cette adresse est bien la vôtre, ouvrez ce lien (valable 7 jours, une seule fois) :\n\(link)\n\nAlloResto"))
        } catch {
            services.logger.error("verification mail failed", metadata: ["error": "\(error)"])
            return pages.html(pages.render("account", ["title": "Mon compte", "email": me.email, "error": "Le mail n'a pas pu partir : réessayez plus tard."]), status: .badGateway)
        }
        return Response(status: .seeOther, headers: [.location: "/admin/account?sent=1"])
    }

    struct ChangeForm: Decodable {
        let _csrf: String?
        let current: String
        let password: String
        let password2: String?
    }

    /// Changes the logged-in account's password: the current one checked (a session left open cannot be turned
    /// into a new password), the form's CSRF token checked, this session kept and every other one ended.
    func changePassword(_ request: Request, context: AppContext) async throws -> Response {
        guard let me = context.admin else { throw APIError.forbidden("Un compte est nécessaire.") }
        func again(_ error: String, _ status: HTTPResponse.Status) -> Response {
            pages.html(pages.render("account", ["title": "Mon compte", "email": me.email, "error": error]), status: status)
        }
        guard let form = try? await URLEncodedFormDecoder().decode(ChangeForm.self, from: request, context: context) else {
            return again("Formulaire incomplet.", .badRequest)
        }
        try CSRF.verifyForm(form._csrf, cookie: request.cookies[AdminAccounts.cookieName]?.value ?? "")
        let throttle = services.loginThrottle
        // Guessing the current password from an open session is throttled like logins.
        if let wait = await throttle.retryAfter(email: me.email, ip: context.remoteIP, now: services.now()) {
            var r = again("Trop d'essais : réessayez dans \(wait) s.", .tooManyRequests)
            r.headers[.retryAfter] = String(wait)
            return r
        }
        guard let user = try await Accounts.user(me.userId, on: database.db),
              let ok = try await services.passwordHasher.verify(form.current, hash: user.passwordHash) else {
            throw APIError(.tooManyRequests, code: "busy", "Trop de demandes : réessayez dans un instant.", headers: [.retryAfter: "1"])
        }
        guard ok else {
            _ = await throttle.failed(email: me.email, ip: context.remoteIP, now: services.now())
            return again("Le mot de passe actuel n'est pas le bon.", .unprocessableContent)
        }
        if let problem = Self.passwordProblem(form.password, form.password2) { return again(problem, .unprocessableContent) }
        guard let hash = try await services.passwordHasher.hash(form.password, cost: services.configuration.bcryptCost) else {
            throw APIError(.tooManyRequests, code: "busy", "Trop de demandes : réessayez dans un instant.", headers: [.retryAfter: "1"])
        }
        try await Accounts.changePassword(userId: me.userId, passwordHash: hash, keepingSession: me.sessionHash, now: services.now(), on: database.db)
        try await AuditLog.record(restaurantId: nil, actor: me.email, action: "account.password", detail: "mot de passe changé (autres sessions fermées)",
                                  now: services.now(), on: database.db)
        return Response(status: .seeOther, headers: [.location: "/admin/account?changed=1"])
    }

    // MARK: team

    func members(_ request: Request, context: AppContext) async throws -> Response {
        let id = try restaurantId(request.uri.queryParameters["restaurantId"].map(String.init), context, need: .manageStaff)
        let list = try await Accounts.members(restaurantId: id, on: database.db)
        let pending = try await Accounts.pendingInvitations(restaurantId: id, now: services.now(), on: database.db)
        return ToolResponse.value(.object([
            "success": true,
            "members": .array(list.map { ["userId": .string($0.userId.uuidString.lowercased()), "email": .string($0.email), "role": .string($0.role.rawValue)] }),
            "invitations": .array(pending.map { ["email": .string($0.email), "role": $0.role.map(JSONValue.string) ?? .null, "expiresAt": .string($0.expiresAt.formatted(.iso8601))] }),
        ]))
    }

    func restaurantId(_ raw: String?, _ context: AppContext, need permission: Permission) throws -> UUID {
        guard let manager = context.manager else { throw APIError.unauthorized() }
        return try manager.restaurantId(raw, for: permission)
    }

    func invite(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let id = try restaurantId(body.string("restaurantId", "restaurant_id"), context, need: .manageStaff)
        guard let raw = body.string("email"), let email = Accounts.normalizedEmail(raw) else { throw ToolBody.invalid("email", "une adresse e-mail") }
        guard let role = MemberRole(rawValue: body.string("role")?.lowercased() ?? "staff") else { throw ToolBody.invalid("role", "« staff » ou « owner »") }
        // Owners are invited by the platform's admins; an owner invites staff.
        if role == .owner, context.manager?.allows(.platform, on: id) != true {
            throw APIError(.forbidden, code: "role_not_allowed", "Seul un administrateur de la plateforme peut inviter un propriétaire.")
        }
        guard let r = try await Reports.restaurant(id, on: database.db) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
        if try await Accounts.members(restaurantId: id, on: database.db).contains(where: { $0.email == email }) {
            throw APIError(.conflict, code: "already_member", "\(email) fait déjà partie de l'équipe de ce restaurant.")
        }
        let actor = context.manager?.actor ?? "?"
        let secret = try await Accounts.issue(.invite, email: email, restaurantId: id, role: role, createdBy: actor, now: services.now(), on: database.db)
        let (mailed, link) = try await deliverInvitation(to: email, secret: secret, restaurant: r.name, role: role, by: actor)
        try await AuditLog.record(restaurantId: id, actor: actor, action: "member.invite", detail: "a invité \(email) (\(role.label))", now: services.now(), on: database.db)
        var out: [String: JSONValue] = ["success": true, "email": .string(email), "role": .string(role.rawValue), "mailed": .bool(mailed)]
        if let link { out["link"] = .string(link) }
        return ToolResponse.value(.object(out), status: .created)
    }

    func removeMember(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let id = try restaurantId(body.string("restaurantId", "restaurant_id"), context, need: .manageStaff)
        guard let userId = try body.uuid("userId", "user_id") else { throw ToolBody.invalid("userId", "l'identifiant du membre") }
        let list = try await Accounts.members(restaurantId: id, on: database.db)
        guard let member = list.first(where: { $0.userId == userId }) else { throw APIError.notFound("member_not_found", "Ce compte n'est pas membre de ce restaurant.") }
        if member.role == .owner {
            guard context.manager?.allows(.platform, on: id) == true else {
                throw APIError(.forbidden, code: "role_not_allowed", "Seul un administrateur de la plateforme peut retirer un propriétaire.")
            }
            guard list.filter({ $0.role == .owner }).count > 1 else {
                throw APIError(.conflict, code: "last_owner", "C'est le dernier propriétaire du restaurant : invitez-en un autre d'abord.")
            }
        }
        try await Accounts.removeMember(userId: userId, restaurantId: id, on: database.db)
        try await AuditLog.record(restaurantId: id, actor: context.manager?.actor ?? "?", action: "member.remove",
                                  detail: "a retiré \(member.email) (\(member.role.label))", now: services.now(), on: database.db)
        return ToolResponse.value(["success": true])
    }

    func invitePlatformAdmin(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        guard let raw = body.string("email"), let email = Accounts.normalizedEmail(raw) else { throw ToolBody.invalid("email", "une adresse e-mail") }
        let actor = context.admin?.email ?? "?"
        let secret = try await Accounts.issue(.invite, email: email, createdBy: actor, now: services.now(), on: database.db)
        let (mailed, link) = try await deliverInvitation(to: email, secret: secret, restaurant: nil, role: nil, by: actor)
        try await AuditLog.record(restaurantId: nil, actor: actor, action: "admin.invite", detail: "a invité \(email) comme administrateur", now: services.now(), on: database.db)
        var out: [String: JSONValue] = ["success": true, "email": .string(email), "mailed": .bool(mailed)]
        if let link { out["link"] = .string(link) }
        return ToolResponse.value(.object(out), status: .created)
    }

    // MARK: audit

    static func entryJSON(_ e: AuditEntry) -> JSONValue {
        ["at": .string(e.createdAt.formatted(.iso8601)), "actor": .string(e.actor), "action": .string(e.action), "detail": .string(e.detail),
         "restaurantId": e.restaurantId.map { .string($0.uuidString.lowercased()) } ?? .null]
    }

    func audit(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        let limit = try ToolBody.queryInt(request, "limit", in: 1...1000) ?? 200
        let ids: [UUID]?
        if let raw = q["restaurantId"] {
            ids = [try restaurantId(String(raw), context, need: .manageRestaurant)]
        } else {
            // Every restaurant's log at once is the platform's view.
            guard case .admin(let identity)? = context.manager, identity.platformAdmin else {
                throw APIError(.forbidden, code: "role_not_allowed", "Le journal de toute la plateforme est réservé à ses administrateurs : précisez restaurantId.")
            }
            ids = nil
        }
        let entries = try await AuditLog.entries(restaurantIds: ids, limit: limit, on: database.db)
        return ToolResponse.value(.object(["success": true, "entries": .array(entries.map(Self.entryJSON))]))
    }

    /// A date and time as said in France: « 1 déc. 2026 à 14:05 », in the restaurant's time zone.
    static func spoken(_ date: Date, timezone: String) -> String {
        var style = Date.FormatStyle(date: .abbreviated, time: .shortened).locale(Locale(identifier: "fr_FR"))
        style.timeZone = TimeZone(identifier: timezone) ?? .current
        return date.formatted(style)
    }

    func teamPage(_ context: AppContext) async throws -> Response {
        let office = BackOfficePages(services: services, pages: pages)
        let r = try await office.restaurant(context, need: .manageStaff)
        let list = try await Accounts.members(restaurantId: r.id!, on: database.db)
        return office.page(context, "bo-team", r, section: "/team", title: "Équipe", [
            "members": list.map { ["email": $0.email, "role": $0.role.label, "userId": $0.userId.uuidString.lowercased(), "removable": $0.role == .staff] as [String: Any] },
            "platform": context.admin?.platformAdmin ?? false, "mail": services.mailer != nil,
        ])
    }

    func auditPage(_ context: AppContext) async throws -> Response {
        let office = BackOfficePages(services: services, pages: pages)
        let r = try await office.restaurant(context, need: .manageRestaurant)
        let entries = try await AuditLog.entries(restaurantIds: [r.id!], limit: 300, on: database.db)
        return office.page(context, "bo-audit", r, section: "/audit", title: "Journal des modifications", [
            "entries": entries.map { ["when": Self.spoken($0.createdAt, timezone: r.timezone), "actor": $0.actor, "detail": $0.detail] as [String: Any] },
        ])
    }

    func platformAuditPage(_ context: AppContext) async throws -> Response {
        let entries = try await AuditLog.entries(restaurantIds: nil, limit: 500, on: database.db)
        let names = try await Reports.restaurantNames(on: database.db)
        return pages.html(pages.render("audit", [
            "title": "Journal des modifications", "email": context.admin?.email ?? "",
            "entries": entries.map { e in
                ["when": Self.spoken(e.createdAt, timezone: "Europe/Paris"), "actor": e.actor, "detail": e.detail,
                 "restaurant": e.restaurantId.flatMap { names[$0] } ?? "plateforme"] as [String: Any]
            },
        ]))
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
