import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// `log_new_faq` (a question with the same meaning increments its count instead of duplicating) and the
/// restaurant's side: list, answer or ignore, delete. Answered entries feed the next call's prompt.
struct FaqRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/faq") { request, context in try await self.log(request, context: context) }
        router.get("/api/faq") { request, _ in try await self.list(request) }
        router.patch("/api/faq") { request, context in try await self.update(request, context: context) }
        router.delete("/api/faq") { request, context in try await self.remove(request, context: context) }
    }

    struct FaqOut: Encodable {
        let id: String
        let question: String
        let answer: String?
        let category: String?
        let status: String
        let askCount: Int
        let lastAskedAt: Date?

        init(_ f: Faq) {
            id = f.id!.uuidString.lowercased()
            question = f.question
            answer = f.answer
            category = f.category
            status = f.status
            askCount = f.askCount
            lastAskedAt = f.lastAskedAt
        }
    }

    func log(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let r = session.template.restaurant
        guard let question = body.string("question") else {
            throw APIError(.unprocessableContent, code: "missing_question", "Le champ question est obligatoire.")
        }
        guard question.count <= 1000 else { throw ToolBody.invalid("question", "une question de 1000 caractères au plus") }
        let key = FaqKey.normalize(question)
        let category = body.string("category")?.lowercased()
        let phone = body.string("callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        let now = services.now()
        let keys = IdempotencyLedger.keys(
            callId: body.string("callId", "call_id"), restaurantId: r.id, phone: phone, tool: ToolName.logNewFaq.rawValue,
            digest: IdempotencyLedger.digest(Data(key.utf8)), now: now)
        switch try await CommunicationBook.askOnce(restaurantId: r.id, question: question, key: key, category: category, now: now, keys: keys, on: services.database.db) {
        case .replayedAsSent(let body): return ToolResponse.raw(body)
        case .fresh(let asked), .replayed(let asked): return try ToolResponse.json(CommunicationWording.logged(asked))
        }
    }

    func list(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService)
        let status = q["status"].map(String.init)
        if let status, !["pending", "answered", "ignored"].contains(status) { throw ToolBody.invalid("status", "pending, answered ou ignored") }
        let rows = try await CommunicationBook.questions(restaurantId: session.template.restaurant.id, status: status, on: services.database.db)
        struct List: Encodable { let success = true; let faqs: [FaqOut] }
        return try ToolResponse.json(List(faqs: rows.map(FaqOut.init)))
    }

    func find(_ id: UUID?, restaurantId: UUID) async throws -> Faq {
        guard let row = try await CommunicationBook.question(id, restaurantId: restaurantId, on: services.database.db) else {
            throw APIError.notFound("faq_not_found", "Question introuvable pour ce restaurant.")
        }
        return row
    }

    func update(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .operateService)
        let rid = session.template.restaurant.id
        let faq = try await find(try body.uuid("id"), restaurantId: rid)
        if let q = body.string("question") {
            faq.question = q
            faq.questionKey = FaqKey.normalize(q)
        }
        if let a = body.string("answer") {
            faq.answer = a
            faq.status = "answered"
        }
        if let s = body.string("status")?.lowercased() {
            guard ["pending", "answered", "ignored"].contains(s) else { throw ToolBody.invalid("status", "pending, answered ou ignored") }
            guard s != "answered" || !(faq.answer ?? "").isEmpty else {
                throw APIError(.unprocessableContent, code: "answer_required", "Une question passe en « answered » avec une réponse.")
            }
            faq.status = s
        }
        if let c = body.string("category") { faq.category = c.lowercased() }
        // Answered questions are part of the prompt: the next call on any replica must see the change.
        guard try await CommunicationBook.saveQuestion(faq, restaurantId: rid, on: services.database.db) else {
            throw APIError(.conflict, code: "duplicate_question", "Une question de même sens existe déjà.")
        }
        struct Updated: Encodable { let success = true; let faq: FaqOut }
        return try ToolResponse.json(Updated(faq: FaqOut(faq)))
    }

    func remove(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId") ?? q["restaurantId"].map(String.init), services: services, need: .operateService)
        let rid = session.template.restaurant.id
        let idText = body.string("id") ?? q["id"].map(String.init)
        let faq = try await find(idText.flatMap(UUID.init(uuidString:)), restaurantId: rid)
        try await CommunicationBook.deleteQuestion(faq, restaurantId: rid, on: services.database.db)
        struct Deleted: Encodable { let success = true }
        return try ToolResponse.json(Deleted())
    }
}
