import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// `leave_message` and the restaurant's inbox: unread first, mark read, delete.
struct MessageRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/messages") { request, context in try await self.leave(request, context: context) }
        router.get("/api/messages") { request, _ in try await self.list(request) }
        router.patch("/api/messages") { request, context in try await self.update(request, context: context) }
        router.delete("/api/messages") { request, context in try await self.remove(request, context: context) }
    }

    struct MessageOut: Encodable {
        let id: String
        let callerPhone: String?
        let callerName: String?
        let content: String
        let category: String?
        let isUrgent: Bool
        let isRead: Bool
        let callId: String?
        let createdAt: Date?

        init(_ m: Message) {
            id = m.id!.uuidString.lowercased()
            callerPhone = m.callerPhone
            callerName = m.callerName
            content = m.content
            category = m.category
            isUrgent = m.isUrgent
            isRead = m.isRead
            callId = m.callId
            createdAt = m.createdAt
        }
    }

    func leave(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let r = session.template.restaurant
        guard let content = body.string("content", "message") else {
            throw APIError(.unprocessableContent, code: "missing_content", "Le champ content est obligatoire.")
        }
        guard content.count <= 4000 else { throw ToolBody.invalid("content", "un message de 4000 caractères au plus") }
        let phone = body.string("callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        // Urgency only ranks the message: a value it cannot read never loses the caller's message.
        let urgent = ((try? body.bool("isUrgent", "is_urgent")) ?? nil) ?? false
        let callId = body.string("callId", "call_id")
        let name = body.string("callerName", "caller_name")
        let category = body.string("category")?.lowercased()
        let keys = IdempotencyLedger.keys(
            callId: callId, restaurantId: r.id, phone: phone, tool: ToolName.leaveMessage.rawValue,
            digest: IdempotencyLedger.digest(Data(content.utf8)), now: services.now())
        let note = CommunicationBook.Note(content: content, callerPhone: phone, callerName: name, category: category, isUrgent: urgent, callId: callId)
        switch try await CommunicationBook.leaveOnce(note, restaurantId: r.id, keys: keys, on: services.database.db) {
        case .replayedAsSent(let body): return ToolResponse.raw(body)
        case .fresh(let left), .replayed(let left): return try ToolResponse.json(CommunicationWording.left(left))
        }
    }

    func list(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService)
        let unreadOnly = q["unread"].map { ["1", "true", "oui"].contains(String($0).lowercased()) } ?? false
        let rows = try await CommunicationBook.messages(restaurantId: session.template.restaurant.id, unreadOnly: unreadOnly, on: services.database.db)
        struct List: Encodable { let success = true; let unread: Int; let messages: [MessageOut] }
        return try ToolResponse.json(List(unread: rows.filter { !$0.isRead }.count, messages: rows.map(MessageOut.init)))
    }

    func find(_ id: UUID?, restaurantId: UUID) async throws -> Message {
        guard let row = try await CommunicationBook.message(id, restaurantId: restaurantId, on: services.database.db) else {
            throw APIError.notFound("message_not_found", "Message introuvable pour ce restaurant.")
        }
        return row
    }

    func update(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .operateService)
        let m = try await find(try body.uuid("id"), restaurantId: session.template.restaurant.id)
        if let read = try body.bool("isRead", "is_read") { m.isRead = read }
        if let urgent = try body.bool("isUrgent", "is_urgent") { m.isUrgent = urgent }
        try await CommunicationBook.saveMessage(m, on: services.database.db)
        struct Updated: Encodable { let success = true; let message: MessageOut }
        return try ToolResponse.json(Updated(message: MessageOut(m)))
    }

    func remove(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId") ?? q["restaurantId"].map(String.init), services: services, need: .operateService)
        let idText = body.string("id") ?? q["id"].map(String.init)
        let m = try await find(idText.flatMap(UUID.init(uuidString:)), restaurantId: session.template.restaurant.id)
        try await CommunicationBook.deleteMessage(m, on: services.database.db)
        struct Deleted: Encodable { let success = true }
        return try ToolResponse.json(Deleted())
    }
}
