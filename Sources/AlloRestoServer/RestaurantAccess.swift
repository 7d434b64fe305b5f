import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// Access to a restaurant's own data from the restaurant side (lists, answers, status changes): a logged-in admin,
/// or the restaurant's agent token. Either way only that restaurant's rows are read or written.
enum RestaurantAccess {
    static func authorize(_ request: Request, rawId: String?, services: AppServices) async throws -> RestaurantSession {
        if let secret = request.cookies[AdminAccounts.cookieName]?.value,
           try await AdminAccounts.identity(secret: secret, now: services.now(), on: services.database.db) != nil {
            let raw = try ToolAuth.restaurantId(rawId)
            guard let id = UUID(uuidString: raw), let session = try await services.sessions.session(for: id) else {
                throw APIError.notFound("restaurant_not_found", "Restaurant inconnu ou inactif.")
            }
            return session
        }
        return try await ToolAuth.authorize(token: AgentAuth.presentedToken(request), rawId: rawId, services: services).session
    }
}
