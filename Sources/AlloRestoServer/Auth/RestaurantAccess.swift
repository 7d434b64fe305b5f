import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// Who manages a restaurant through its management APIs: a person logged into the back office (cookie), or a script
/// holding that restaurant's management key (`Authorization: Bearer arm_…` or `X-API-Key`).
enum Manager: Sendable, Equatable {
    case admin(AdminIdentity)
    case key(restaurantId: UUID)

    /// Whether this manager may do `permission` on `restaurantId`: an account as its role there says
    /// (`AccessRule`), a management key as an owner of its own restaurant — but never the platform nor accounts
    /// (a script does not invite people).
    func allows(_ permission: Permission, on restaurantId: UUID) -> Bool {
        switch self {
        case .admin(let identity): identity.allows(permission, on: restaurantId)
        case .key(let own): own == restaurantId && permission != .platform && permission != .manageStaff
        }
    }

    /// Whether this manager reaches `restaurantId` at all (any role there).
    func reaches(_ restaurantId: UUID) -> Bool { allows(.operateService, on: restaurantId) }

    /// Who did it, for the audit log (an account's address, or the key's restaurant).
    var actor: String {
        switch self {
        case .admin(let identity): identity.email
        case .key: "clé de gestion"
        }
    }

    /// The restaurant a manager's request is about: `raw` (a management key's own restaurant, or an account's only
    /// restaurant, when absent), on which this manager must have `permission`. 400 without an id, 404 for one that
    /// is not a UUID, 403 for a restaurant out of reach or a role that does not allow it.
    func restaurantId(_ raw: String?, for permission: Permission) throws -> UUID {
        var raw = raw
        if raw == nil, case .key(let own) = self { raw = own.uuidString }
        if raw == nil, case .admin(let identity) = self, !identity.platformAdmin, identity.memberships.count == 1 { raw = identity.memberships.keys.first?.uuidString }
        guard let id = UUID(uuidString: try ToolAuth.restaurantId(raw)) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
        guard allows(permission, on: id) else { throw Self.denied(self, permission, reachable: reaches(id)) }
        return id
    }

    /// 403 in words: another restaurant, or a role that does not allow it.
    static func denied(_ manager: Manager, _ permission: Permission, reachable: Bool) -> APIError {
        switch manager {
        case .key: return APIError.forbidden("Cette clé de gestion n'est pas valable pour ce restaurant.")
        case .admin where !reachable: return APIError(.forbidden, code: "restaurant_not_allowed", "Ce restaurant n'est pas dans votre compte.")
        case .admin: return APIError(.forbidden, code: "role_not_allowed", permission == .platform
            ? "Réservé aux administrateurs de la plateforme." : "Votre rôle ne permet pas cette action : demandez au propriétaire du restaurant.")
        }
    }

    /// The error for a request that has no manager's credential: 403 `agent_token_not_allowed` when it carries a
    /// live agent token (the agent has no business here), else `otherwise`.
    static func refusal(_ request: Request, services: AppServices, otherwise: APIError) async throws -> APIError {
        guard let token = AgentAuth.headerToken(request) else { return otherwise }
        if token.hasPrefix(ManagementKeys.prefix), try await ManagementKeys.restaurant(ofKey: token, on: services.database.db) != nil {
            return APIError(.forbidden, code: "key_not_allowed", "Une clé de gestion ne donne pas accès à cette page : connectez-vous au back-office.")
        }
        guard try await AgentTokens.restaurant(ofToken: token, on: services.database.db) != nil else { return otherwise }
        return APIError(.forbidden, code: "agent_token_not_allowed",
                        "Le jeton d'agent ne sert qu'aux outils de l'agent vocal : connectez-vous au back-office ou utilisez une clé de gestion du restaurant.")
    }

    /// The credential presented, checked: a management key when the request carries one (a header credential wins
    /// over the cookie, and a key is never read from the URL), else the admin session cookie; nil with neither.
    static func resolve(_ request: Request, services: AppServices) async throws -> Manager? {
        if let secret = AgentAuth.headerToken(request), secret.hasPrefix(ManagementKeys.prefix) {
            guard let id = try await ManagementKeys.restaurant(ofKey: secret, on: services.database.db) else { throw APIError.unauthorized("Clé de gestion inconnue ou révoquée.") }
            return .key(restaurantId: id)
        }
        if let secret = request.cookies[AdminAccounts.cookieName]?.value,
           let admin = try await AdminAccounts.identity(secret: secret, now: services.now(), on: services.database) {
            return .admin(admin)
        }
        return nil
    }
}

/// Access to a restaurant's own data from the restaurant side (lists, answers, status changes, planning): a logged-in
/// admin or the restaurant's management key. The voice agent's token opens only what the agent uses: the routes that
/// pass `agentMay: true` (the blocked-number check, the reservation cancellation tool). Either way only that
/// restaurant's rows are read or written.
enum RestaurantAccess {
    /// The restaurant's session for a manager, or for the agent where `agentMay`. No credential or an unknown one →
    /// 401; an agent token where the agent may not go, or another restaurant's key → 403.
    static func authorize(_ request: Request, rawId: String?, services: AppServices, need permission: Permission, agentMay: Bool = false) async throws -> RestaurantSession {
        try await access(request, rawId: rawId, services: services, need: permission, agentMay: agentMay).session
    }

    /// As `authorize`, also saying whether it is the agent that asks (its rights are narrower on shared routes).
    static func access(_ request: Request, rawId: String?, services: AppServices, need permission: Permission, agentMay: Bool) async throws -> (session: RestaurantSession, byAgent: Bool) {
        if let manager = try await Manager.resolve(request, services: services) {
            guard let session = try await services.sessions.session(for: try manager.restaurantId(rawId, for: permission)) else {
                throw APIError.notFound("restaurant_not_found", "Restaurant inconnu ou inactif.")
            }
            return (session, false)
        }
        guard agentMay else { throw try await Manager.refusal(request, services: services, otherwise: APIError.unauthorized()) }
        return (try await ToolAuth.authorize(token: AgentAuth.presentedToken(request), rawId: rawId, services: services).session, true)
    }
}
