import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// Who manages a restaurant through its management APIs: a person logged into the back office (cookie), or a script
/// holding that restaurant's management key (`Authorization: Bearer arm_…` or `X-API-Key`).
enum Manager: Sendable, Equatable {
    case admin(AdminIdentity)
    case key(restaurantId: UUID)

    /// Whether this manager may act on `restaurantId` (an admin: every restaurant; a key: its own).
    func reaches(_ restaurantId: UUID) -> Bool {
        switch self {
        case .admin: true
        case .key(let own): own == restaurantId
        }
    }

    /// The restaurant a manager's request is about: `raw` (a management key's own restaurant when absent), which
    /// this manager must reach. 400 without an id, 404 for one that is not a UUID, 403 for another restaurant's key.
    func restaurantId(_ raw: String?) throws -> UUID {
        var raw = raw
        if raw == nil, case .key(let own) = self { raw = own.uuidString }
        guard let id = UUID(uuidString: try ToolAuth.restaurantId(raw)) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
        guard reaches(id) else { throw APIError.forbidden("Cette clé de gestion n'est pas valable pour ce restaurant.") }
        return id
    }

    /// The error for a request that has no manager's credential: 403 `agent_token_not_allowed` when it carries a
    /// live agent token (the agent has no business here), else `otherwise`.
    static func refusal(_ request: Request, services: AppServices, otherwise: APIError) async throws -> APIError {
        guard let token = AgentAuth.headerToken(request), try await AgentTokens.restaurant(ofToken: token, on: services.database.db) != nil else {
            return otherwise
        }
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
           let admin = try await AdminAccounts.identity(secret: secret, now: services.now(), on: services.database.db) {
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
    static func authorize(_ request: Request, rawId: String?, services: AppServices, agentMay: Bool = false) async throws -> RestaurantSession {
        try await access(request, rawId: rawId, services: services, agentMay: agentMay).session
    }

    /// As `authorize`, also saying whether it is the agent that asks (its rights are narrower on shared routes).
    static func access(_ request: Request, rawId: String?, services: AppServices, agentMay: Bool) async throws -> (session: RestaurantSession, byAgent: Bool) {
        if let manager = try await Manager.resolve(request, services: services) {
            guard let session = try await services.sessions.session(for: try manager.restaurantId(rawId)) else {
                throw APIError.notFound("restaurant_not_found", "Restaurant inconnu ou inactif.")
            }
            return (session, false)
        }
        guard agentMay else { throw try await Manager.refusal(request, services: services, otherwise: APIError.unauthorized()) }
        return (try await ToolAuth.authorize(token: AgentAuth.presentedToken(request), rawId: rawId, services: services).session, true)
    }
}
