import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// The restaurant's side of orders: the list (filters) and status changes that make sense.
struct OrderBoardRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.get("/api/orders") { request, _ in try await self.list(request) }
        router.patch("/api/orders") { request, context in try await self.update(request, context: context) }
    }

    /// Allowed moves by stored status (`OrderStatus.next`).
    static let transitions: [String: Set<String>] = Dictionary(uniqueKeysWithValues: OrderStatus.allCases.map { s in
        (s.rawValue, Set(s.next.map(\.rawValue)))
    })

    struct LineOut: Encodable {
        let name: String
        let quantity: Int
        let unitPrice: Double
        let totalPrice: Double
        let selectedOptions: [PricedOption]
        let notes: String?
    }

    struct OrderOut: Encodable {
        let id: String
        let orderNumber: Int
        let status: String
        let orderType: String
        let subtotal: Double
        let deliveryFee: Double
        let total: Double
        let customerName: String?
        let customerPhone: String?
        let deliveryAddress: String?
        let paymentMethod: String?
        let notes: String?
        let source: String
        let callId: String?
        let orderSize: String?
        let createdAt: Date?
        let estimatedReadyAt: Date?
        let estimatedReadyTime: String?
        /// The ready day as the board says it: `aujourd'hui`, `demain`, or `samedi 5 décembre`.
        let readyDay: String?
        /// A delivery's departure from the kitchen (local `HH:MM`).
        let departureTime: String?
        /// The payment method in French (`espèces`, `carte bancaire`…).
        let paymentLabel: String?
        let items: [LineOut]

        init(_ o: Order, currency: String, time: RestaurantTime, today: LocalDate) {
            let money = { Money.decimal($0, currency: currency) }
            id = o.id!.uuidString.lowercased()
            orderNumber = o.orderNumber
            status = o.status
            orderType = o.orderType
            subtotal = money(o.subtotal)
            deliveryFee = money(o.deliveryFee)
            total = money(o.total)
            customerName = o.customerName
            customerPhone = o.customerPhone
            deliveryAddress = o.deliveryAddress
            paymentMethod = o.paymentMethod
            notes = o.notes
            source = o.source
            callId = o.callId
            orderSize = o.orderSize
            createdAt = o.createdAt
            estimatedReadyAt = o.estimatedReadyAt
            estimatedReadyTime = o.estimatedReadyAt.map { time.local($0).time.description }
            readyDay = o.estimatedReadyAt.map { at in
                let day = time.local(at).date
                switch today.days(to: day) {
                case 0: return "aujourd'hui"
                case 1: return "demain"
                default: return day.french
                }
            }
            departureTime = o.orderType == "delivery" ? o.handoffAt.map { time.local($0).time.description } : nil
            paymentLabel = o.paymentMethod.map(OrderRoutes.paymentLabel)
            items = (o.$items.value ?? []).map {
                LineOut(name: $0.name, quantity: $0.quantity, unitPrice: money($0.unitPrice), totalPrice: money($0.totalPrice),
                        selectedOptions: (try? JSONDecoder().decode([PricedOption].self, from: Data($0.selectedOptions.utf8))) ?? [], notes: $0.notes)
            }
        }
    }

    func list(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService)
        let r = session.template.restaurant
        var filter = OrderBook.Filter()
        if let s = q["status"].map(String.init) {
            let statuses = s.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            for st in statuses where OrderStatus(rawValue: st) == nil { throw ToolBody.invalid("status", "un statut de commande (pending, confirmed, …)") }
            filter.statuses = statuses
        }
        if let t = q["orderType"].map(String.init) {
            guard OrderType(rawValue: t) != nil else { throw ToolBody.invalid("orderType", "pickup, delivery ou dine_in") }
            filter.orderType = t
        }
        let time = RestaurantTime(identifier: r.timezone)
        let today = time.localDate(services.now())
        if q["board"] != nil {
            // The service board follows the current day: every order still open (placed since yesterday, ready
            // today, tomorrow or later) and today's finished ones.
            let midnight = time.instant(today, TimeOfDay(minutes: 0)), yesterday = time.instant(today.adding(days: -1), TimeOfDay(minutes: 0))
            filter.board = (openSince: yesterday, placedSince: midnight)
        }
        if let day = q["date"].map(String.init) {
            // A local calendar day of the restaurant.
            let parts = day.split(separator: "-").compactMap { Int($0) }
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = RestaurantTime(identifier: r.timezone).timeZone
            guard parts.count == 3, let start = cal.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                  let end = cal.date(byAdding: .day, value: 1, to: start)
            else { throw ToolBody.invalid("date", "une date AAAA-MM-JJ") }
            filter.placed = (start: start, end: end)
        }
        if let raw = q["phone"].map(String.init), let phone = PhoneNumber.normalize(raw, defaultCountry: r.country) {
            filter.customerPhone = phone
        }
        filter.limit = try ToolBody.queryInt(request, "limit", in: 1...500) ?? 100
        let rows = try await OrderBook.list(restaurantId: r.id, filter, on: services.database.db)
        struct List: Encodable { let success = true; let orders: [OrderOut] }
        return try ToolResponse.json(List(orders: rows.map { OrderOut($0, currency: r.currency, time: time, today: today) }))
    }

    func update(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .operateService)
        let r = session.template.restaurant
        let db = services.database.db
        let id = try body.uuid("id")
        let number = id == nil ? try body.int("orderNumber", "order_number", in: 1...100_000_000) : nil
        guard id != nil || number != nil else {
            throw APIError(.unprocessableContent, code: "missing_order", "Indiquez id ou orderNumber.")
        }
        guard let order = try await OrderBook.find(restaurantId: r.id, id: id, number: number, on: db) else { throw APIError.notFound("order_not_found", "Commande introuvable pour ce restaurant.") }
        guard let target = body.string("status")?.lowercased() else {
            throw APIError(.unprocessableContent, code: "missing_status", "Le champ status est obligatoire.")
        }
        guard let current = OrderStatus(rawValue: order.status), let wanted = OrderStatus(rawValue: target) else { throw ToolBody.invalid("status", "un statut de commande") }
        if wanted != current {
            guard current.mayMove(to: wanted, delivery: order.orderType == OrderType.delivery.rawValue) else {
                throw APIError(.conflict, code: "transition_refused", "Une commande « \(OrderRoutes.label(order.status)) » ne peut pas passer à « \(OrderRoutes.label(target)) ».")
            }
            let from = order.status
            guard try await OrderBook.transition(order, from: [order.status], to: target, on: db) else {
                throw APIError(.conflict, code: "order_changed", "La commande vient de changer d'état ; rechargez-la.")
            }
            let actor = (try? await Manager.resolve(request, services: services))??.actor ?? "?"
            await services.audit(r.id, by: actor, "order.status",
                                 "commande n° \(order.orderNumber) : « \(OrderRoutes.label(from)) » → « \(OrderRoutes.label(target)) »")
        }
        struct Updated: Encodable { let success = true; let order: OrderOut }
        let clock = RestaurantTime(identifier: r.timezone)
        return try ToolResponse.json(Updated(order: OrderOut(order, currency: r.currency, time: clock, today: clock.localDate(services.now()))))
    }
}
