import AlloRestoCore
import AlloRestoStore
import Crypto
import Foundation
import Hummingbird

/// The routes sip-agent-server and the SIP bridge use besides the tools: the end-of-call webhook, the call log,
/// the lines to register; and the operators' view of the voice servers.
struct IntegrationRoutes {
    let services: AppServices
    let pages: Pages

    func register(on router: Router<AppContext>) {
        router.post("/api/calls") { request, context in try await self.callEnded(request, context: context) }
        router.get("/api/calls") { request, _ in try await self.calls(request) }
        router.get("/api/sip/agents") { request, _ in try await self.sipAgents(request) }
        router.post("/api/sip/incoming") { request, context in try await self.incoming(request, context: context) }
        let admin = router.group().add(middleware: PlatformGuard(services: services))
        admin.get("/api/admin/servers") { _, _ in ToolResponse.value(await self.servers()) }
        admin.post("/api/admin/push-brain") { _, _ in ToolResponse.value(try await self.pushBrain()) }
        admin.get("/admin/servers") { _, context in
            pages.html(pages.render("servers", ["title": "Serveurs vocaux", "email": context.admin!.email]))
        }
    }

    // MARK: end-of-call webhook

    /// Domains of the end-of-call record's counters: tokens of one call, its cost in dollars or local currency.
    static let maxTokens = 1_000_000_000
    static let maxCost = 1_000_000.0

    func callEnded(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context, limit: ToolBody.Limit.callRecord)
        // sip-agent-server posts to `onCallEndWebhook` bare: the agent token rides in its URL (`?token=`).
        guard let token = AgentAuth.presentedToken(request, allowQuery: true) else { throw APIError.unauthorized() }
        let final = body.object("finalContext", "final_context").map(ToolBody.init(fields:))
        // As the original: the restaurant from the body or the call's final context, 400 without.
        guard let rawId = body.string("restaurantId", "restaurant_id") ?? final?.string("restaurant_id", "restaurantId") else {
            var e = APIError(.badRequest, code: "missing_restaurant_id", "restaurantId requis (ou finalContext.restaurant_id).")
            e.field = "restaurantId"
            throw e
        }
        let (session, _) = try await ToolAuth.authorize(token: token, rawId: rawId, services: services)
        let r = session.template.restaurant
        // A record without an id is still kept, once: its id is the digest of its content (a resend is the same).
        let callId = body.string("callId", "call_id", "callSid", "sid", "id")
            ?? "sha256:" + Hex.lowercase(SHA256.hash(data: Data(JSONWriter.encoded(JSONValue.object(body.fields))))).prefix(32)
        let tokens = body.object("tokens", "usage").map(ToolBody.init(fields:))
        let costs = body.object("costs", "cost").map(ToolBody.init(fields:))
        // A call lasts at most a week: anything longer is a client's mistake, refused naming the field.
        let week = 7 * 86_400
        var duration = try body.int("durationSec", "duration_sec", "duration", in: 0...week)
        if duration == nil, let ms = try body.double("durationMs", "duration_ms", in: 0...Double(week) * 1000) {
            duration = CheckedNumber.whole(seconds: ms, per: 1000, in: 0...week)
        }
        func date(_ keys: String...) -> Date? {
            for k in keys { if let s = body.string(k), let d = try? Date(s, strategy: .iso8601) { return d } }
            return nil
        }
        let row = CallRecord()
        row.$restaurant.id = r.id
        row.callId = callId
        let caller: String? = body.string("callerPhone", "caller_phone", "from", "caller") ?? final?.string("caller_phone")
        row.callerPhone = caller.flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        row.startedAt = date("startedAt", "started_at")
        row.endedAt = date("endedAt", "ended_at")
        if duration == nil, let start = row.startedAt, let end = row.endedAt { duration = CheckedNumber.whole(seconds: end.timeIntervalSince(start), in: 0...week) }
        row.durationSec = duration
        row.outcome = body.string("outcome", "endReason", "end_reason", "status")
        row.inputTokens = try tokens?.int("input", "inputTokens", "input_tokens", in: 0...Self.maxTokens) ?? body.int("inputTokens", "input_tokens", in: 0...Self.maxTokens)
        row.outputTokens = try tokens?.int("output", "outputTokens", "output_tokens", in: 0...Self.maxTokens) ?? body.int("outputTokens", "output_tokens", in: 0...Self.maxTokens)
        row.costUsd = try costs?.double("usd", "totalUsd", "total", in: 0...Self.maxCost) ?? body.double("costUsd", "cost_usd", in: 0...Self.maxCost)
        row.costLocal = try costs?.double("local", "totalLocal", in: 0...Self.maxCost) ?? body.double("costLocal", "cost_local", in: 0...Self.maxCost)
        row.payload = String(decoding: JSONWriter.encoded(JSONValue.object(body.fields)), as: UTF8.self)
        guard row.payload.utf8.count <= 512 * 1024 else { throw ToolBody.invalid("payload", "un enregistrement de 512 Ko au plus") }
        // Idempotent by callId: a resent record is acknowledged, the first one kept.
        let kept = try await CallLog.record(row, on: services.database.db)
        return ToolResponse.value(["success": true, "ok": true, "id": .string(kept.id.uuidString.lowercased()), "duplicate": .bool(kept.duplicate)],
                                  status: kept.duplicate ? .ok : .created)
    }

    static func callOut(_ c: CallRecord) -> JSONValue {
        func opt<T>(_ v: T?, _ f: (T) -> JSONValue) -> JSONValue { v.map(f) ?? .null }
        var summary: JSONValue = .null
        if let payload = try? JSONReader.parse(Array(c.payload.utf8)) {
            summary = payload["transcriptSummary"] ?? payload["summary"] ?? payload["transcript_summary"] ?? .null
        }
        return .object([
            "id": .string(c.id!.uuidString.lowercased()), "callId": .string(c.callId), "callerPhone": opt(c.callerPhone, JSONValue.string),
            "startedAt": opt(c.startedAt) { .string($0.formatted(.iso8601)) }, "endedAt": opt(c.endedAt) { .string($0.formatted(.iso8601)) },
            "durationSec": opt(c.durationSec, JSONValue.int), "outcome": opt(c.outcome, JSONValue.string),
            "inputTokens": opt(c.inputTokens, JSONValue.int), "outputTokens": opt(c.outputTokens, JSONValue.int),
            "costUsd": opt(c.costUsd, JSONValue.double), "costLocal": opt(c.costLocal, JSONValue.double),
            "transcriptSummary": summary, "createdAt": opt(c.createdAt) { .string($0.formatted(.iso8601)) },
        ])
    }

    func calls(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .manageRestaurant)
        let limit = try ToolBody.queryInt(request, "limit", in: 1...500) ?? 100
        let rows = try await CallLog.recent(restaurantId: session.template.restaurant.id, limit: limit, on: services.database.db)
        return ToolResponse.value(["success": true, "calls": .array(rows.map(Self.callOut))])
    }

    // MARK: lines for the SIP bridge

    /// The SIP bridge's service token (`ALLORESTO_SERVICE_TOKEN`) as Bearer or `X-API-Key` — or, where the caller
    /// cannot set headers (`allowQuery`: the incoming-call hook URL of the original bridge), as `?token=`.
    func authorizeService(_ request: Request, allowQuery: Bool = false) throws {
        guard let expected = services.configuration.serviceToken else {
            throw APIError(.serviceUnavailable, code: "service_token_not_configured", "ALLORESTO_SERVICE_TOKEN n'est pas configuré : aucune ligne n'est exposée.")
        }
        guard let presented = AgentAuth.presentedToken(request, allowQuery: allowQuery),
              AgentTokens.constantTimeEquals(AgentTokens.hash(presented), AgentTokens.hash(expected))
        else { throw APIError.unauthorized() }
    }

    func sipAgents(_ request: Request) async throws -> Response {
        try authorizeService(request)
        var out: [JSONValue] = []
        for (r, line) in try await CallLog.activeLines(on: services.database.db) {
            let password: String
            do { password = try services.cipher.decrypt(line.sipPassword, lineId: line.id!.uuidString.lowercased()) } catch {
                services.logger.error("phone line cannot be decrypted; not exposed to the bridge", metadata: ["restaurant": "\(r.id!)"])
                continue
            }
            out.append([
                "restaurantId": .string(r.id!.uuidString.lowercased()), "restaurantName": .string(r.name),
                "agentId": r.agentId.map(JSONValue.string) ?? .null, "timezone": .string(r.timezone),
                "lineId": .string(line.id!.uuidString.lowercased()),
                "sip": ["domain": .string(line.sipDomain), "username": .string(line.sipUsername), "password": .string(password)],
            ])
        }
        return ToolResponse.value(["success": true, "agents": .array(out)])
    }

    // MARK: incoming-call hook of the SIP bridge

    /// The bridge's incoming-call hook (`--incoming-callback-url`, SIP-BRIDGE.md §5), answered before the call is:
    /// `{from, to, timestamp}` → the restaurant whose line username or phone number is the dialed number `to`
    /// (compared as given and as normalised numbers, in the restaurant's country; `IncomingDirectory`): `accept`
    /// with `customParams.restaurantId` (one bridge, one trunk, many restaurants), or `reject` 603 when the caller's
    /// number is blocked there, 480 when that restaurant is switched off. A number no restaurant has: `accept`
    /// without override (the line's own parameters decide). Never a 5xx for what the caller dialed.
    func incoming(_ request: Request, context: AppContext) async throws -> Response {
        try authorizeService(request, allowQuery: true)
        let body = try await ToolBody.read(request, context: context)
        guard let dialed = body.string("to").map(Self.sipUser), !dialed.isEmpty, dialed.count <= 128 else {
            throw ToolBody.invalid("to", "le numéro appelé")
        }
        let caller = body.string("from").map(Self.sipUser) ?? ""
        guard let restaurant = try await services.incomingDirectory.restaurant(dialed: dialed, now: services.now(), database: services.database) else {
            return ToolResponse.value(["action": "accept", "reason": "unknown number"])
        }
        let id = restaurant.restaurantId
        let rid = id.uuidString.lowercased()
        guard restaurant.active else {
            services.logger.info("incoming call refused: restaurant switched off", metadata: ["restaurant": "\(rid)"])
            return ToolResponse.value(["action": "reject", "statusCode": 480, "reason": "restaurant inactive", "restaurantId": .string(rid)])
        }
        if let phone = PhoneNumber.normalize(caller, defaultCountry: restaurant.country),
           try await CallLog.isBlocked(restaurantId: id, phone: phone, on: services.database.readDB) {
            services.logger.info("incoming call refused: blocked number", metadata: ["restaurant": "\(rid)"])
            return ToolResponse.value(["action": "reject", "statusCode": 603, "reason": "blocked", "restaurantId": .string(rid)])
        }
        var custom: [String: JSONValue] = ["restaurantId": .string(rid), "restaurantName": .string(restaurant.name)]
        if let agent = restaurant.agentId { custom["agentId"] = .string(agent) }
        return ToolResponse.value(["action": "accept", "customParams": .object(custom), "restaurantId": .string(rid)])
    }

    /// The user part when a SIP URI is given (`sip:+33491234567@trunk;user=phone` → `+33491234567`), else the text.
    static func sipUser(_ text: String) -> String {
        var t = Substring(text.trimmingCharacters(in: .whitespaces))
        if let lt = t.firstIndex(of: "<"), let gt = t[lt...].firstIndex(of: ">") { t = t[t.index(after: lt)..<gt] }
        let lower = t.lowercased()
        for scheme in ["sip:", "sips:", "tel:"] where lower.hasPrefix(scheme) {
            t = t.dropFirst(scheme.count)
            if let end = t.firstIndex(where: { $0 == "@" || $0 == ";" || $0 == "?" }) { t = t[..<end] }
            break
        }
        return String(t)
    }

    // MARK: voice servers (admin)

    /// `POST /api/admin/push-brain` (the original's): the prompt and the 12 tools pushed again to every agent with
    /// one `PUT /api/agents/:id/brain` each (after a deployment that changed them). Answers the original's
    /// `{success, failed}` counts, plus one line per restaurant.
    func pushBrain() async throws -> JSONValue {
        let outcomes = try await services.provisioner.provisionAll(pushBrain: true) { r, outcome in
            services.logger.info("brain pushed", metadata: ["restaurant": "\(r.id!)", "outcome": "\(outcome.line)"])
        }
        let failed = outcomes.filter(\.failed).count
        return ["success": .int(outcomes.count - failed), "failed": .int(failed), "results": .array(outcomes.map { .string($0.line) })]
    }

    /// Workers and agents of sip-agent-server, queried in parallel with a 3 s deadline; offline → empty lists.
    func servers() async -> JSONValue {
        let api = SipAgentServerClient(baseURL: services.configuration.sipAgentServerURL, apiKey: services.configuration.sipAgentServerAPIKey, timeout: .seconds(3))
        async let workers = api.send(.GET, "/api/workers")
        async let agents = api.send(.GET, "/api/agents")
        let w = try? await workers
        let a = try? await agents
        let online = w != nil || a != nil
        let names: [String: String]
        names = ((try? await Reports.restaurantNames(on: services.database.db)) ?? [:]).reduce(into: [:]) { $0[$1.key.uuidString.lowercased()] = $1.value }
        let workerList: [JSONValue] = w.map(SipAgentServerClient.list)?.map { v in
            .object([
                "id": v["id"] ?? .null, "name": v["name"] ?? v["id"] ?? .null,
                "state": v["state"] ?? v["status"] ?? .null,
                "currentCall": v["currentCall"] ?? v["callId"] ?? v["current_call"] ?? .null,
                "lastSeen": v["lastSeen"] ?? v["lastHeartbeat"] ?? .null,
            ])
        } ?? []
        let agentList: [JSONValue] = a.map(SipAgentServerClient.list)?.map { v in
            let rid = v["config"]?["restaurantId"]?.stringValue
            return .object([
                "id": v["id"] ?? .null, "name": v["name"] ?? .null, "active": v["isActive"] ?? v["active"] ?? .null,
                "restaurantId": rid.map(JSONValue.string) ?? .null, "restaurantName": rid.flatMap { names[$0] }.map(JSONValue.string) ?? .null,
                "transport": v["transportType"] ?? v["transport"] ?? .null,
            ])
        } ?? []
        return .object(["success": true, "serverOnline": .bool(online), "workers": .array(workerList), "agents": .array(agentList),
                        "checkedAt": .string(services.now().formatted(.iso8601))])
    }
}
