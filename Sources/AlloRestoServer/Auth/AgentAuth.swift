import AlloRestoStore
import Foundation
import HTTPTypes
import Hummingbird

/// Reads the agent token sip-agent-server presents: `Authorization: Bearer …`, `X-API-Key`, or — on `GET /api/ai`
/// and `POST /api/calls` only (`allowQuery`), the URLs sip-agent-server calls bare (`externalSessionUrl`,
/// `onCallEndWebhook`) — a `token` query parameter.
enum AgentAuth {
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    static func presentedToken(_ request: Request, allowQuery: Bool = false) -> String? {
        if let t = headerToken(request) { return t }
        if allowQuery, let q = request.uri.queryParameters["token"], !q.isEmpty { return String(q) }
        return nil
    }

    /// The secret of `Authorization: Bearer` or `X-API-Key`, whichever kind it is (agent token, management key).
    static func headerToken(_ request: Request) -> String? {
        if let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let t = parts[1].trimmingCharacters(in: .whitespaces)
                if !t.isEmpty { return t }
            }
        }
        if let key = request.headers[apiKeyHeader]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        return nil
    }

    /// Checks a token against the requested restaurant's live tokens. A token of another restaurant is 403,
    /// an unknown or revoked token 401.
    static func authorize(_ token: String, for session: RestaurantSession, services: AppServices) async throws {
        if session.accepts(tokenHash: AgentTokens.hash(token)) { return }
        if try await AgentTokens.restaurant(ofToken: token, on: services.database.db) != nil {
            throw APIError.forbidden("Ce jeton d'agent n'est pas valable pour ce restaurant.")
        }
        throw APIError.unauthorized()
    }
}
