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
        let (session, caller) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request, allowQuery: true), rawId: query["restaurantId"].map(String.init),
            callerPhone: query["callerPhone"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }, services: services)

        let r = session.template.restaurant

        let credentials: SIPCredentials
        if let line = session.line {
            credentials = line
        } else {
            if let problem = session.lineError {
                // The call still gets through on the demo line; the operator sees why in the log.
                context.logger.error("phone line unusable, falling back to the demo line", metadata: ["restaurantId": "\(r.id)", "problem": "\(problem)"])
            }
            credentials = services.configuration.demoLine
        }
        let body = session.template.configurationJSON(
            now: services.now(), caller: caller, credentials: credentials,
            marginPct: r.aiCostMarginPct ?? session.platformMarginPct ?? services.configuration.defaultMarginPct,
            exchangeRate: services.exchangeRates.rate(to: r.currency))
        return ToolResponse.bytes(body)
    }
}
