import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird
import NIOCore

/// `GET /api/ai`: the per-call session configuration sip-agent-server fetches while the caller waits.
struct SessionRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.get("/api/ai") { request, context in try await self.session(request, context: context) }
    }

    func session(_ request: Request, context: AppContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let token = AgentAuth.presentedToken(request) else { throw APIError.unauthorized() }
        guard let rawId = query["restaurantId"].map(String.init)?.trimmingCharacters(in: .whitespaces), !rawId.isEmpty else {
            throw APIError.badRequest("missing_restaurant_id", "Le paramètre restaurantId est obligatoire.")
        }
        let rawPhone = query["callerPhone"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        guard let restaurantId = UUID(uuidString: rawId),
              let (session, caller) = try await services.sessions.call(restaurantId: restaurantId, callerPhone: rawPhone)
        else {
            // Only a caller holding some valid token learns that a restaurant does not exist.
            guard try await AgentTokens.restaurant(ofToken: token, on: services.database.db) != nil else { throw APIError.unauthorized() }
            throw APIError.notFound("restaurant_not_found", "Restaurant inconnu ou inactif.")
        }
        try await AgentAuth.authorize(token, for: session, services: services)

        let r = session.template.restaurant

        let credentials: SIPCredentials
        if let line = session.line {
            credentials = line
        } else {
            if let problem = session.lineError {
                // The call still gets through on the demo line; the operator sees why in the log.
                context.logger.error("phone line unusable, falling back to the demo line", metadata: ["restaurantId": "\(restaurantId)", "problem": "\(problem)"])
            }
            credentials = services.configuration.demoLine
        }
        let body = session.template.configurationJSON(
            now: services.now(), caller: caller, credentials: credentials,
            marginPct: r.aiCostMarginPct ?? session.platformMarginPct ?? services.configuration.defaultMarginPct,
            exchangeRate: services.exchangeRates.rate(to: r.currency))
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
