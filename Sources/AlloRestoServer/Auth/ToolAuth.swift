import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// Resolves and authorizes the restaurant a tool call or `/api/ai` is for: the agent token must belong to it.
/// No token or an unknown one → 401; another restaurant's token → 403; missing id → 400; unknown or inactive → 404
/// (only to a caller holding some valid token).
enum ToolAuth {
    static func restaurantId(_ raw: String?) throws -> String {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            throw APIError.badRequest("missing_restaurant_id", "Le paramètre restaurantId est obligatoire.")
        }
        return raw
    }

    /// Authorizes `token` for `rawId` and returns the restaurant's session with the caller, when a phone is given.
    static func authorize(
        token: String?, rawId: String?, callerPhone: String? = nil, services: AppServices
    ) async throws -> (session: RestaurantSession, caller: KnownCaller?) {
        guard let token else { throw APIError.unauthorized() }
        let raw = try restaurantId(rawId)
        guard let id = UUID(uuidString: raw),
              let found = try await services.sessions.call(restaurantId: id, callerPhone: callerPhone)
        else {
            guard try await AgentTokens.restaurant(ofToken: token, on: services.database.db) != nil else { throw APIError.unauthorized() }
            throw APIError.notFound("restaurant_not_found", "Restaurant inconnu ou inactif.")
        }
        try await AgentAuth.authorize(token, for: found.session, services: services)
        return found
    }
}
